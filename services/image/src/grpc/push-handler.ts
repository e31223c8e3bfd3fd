import type { Handlers } from '@berth/kit';
import type { image } from '@berth/proto';
import type { ImagePusher, PushProgress } from '../domain/push.js';
import { authFromProto, platformFromProto } from './convert.js';

/** PushImage: decode, call the domain, encode (registered in images-service.ts). */
export function pushImageHandler(pusher: ImagePusher): Handlers<typeof image.ImagesService>['pushImage'] {
  return async function* (req, ctx) {
    const auth = authFromProto(req.auth);
    const platform = platformFromProto(req.platform);
    for await (const p of pusher.push({ reference: req.reference, ...(auth && { auth }), ...(platform && { platform }) }, ctx.signal)) yield pushProgressToProto(p);
  };
}

export function pushProgressToProto(p: PushProgress): image.PushProgress {
  return { id: p.id, status: p.status, current: p.current, total: p.total, ...(p.pushed && { pushed: p.pushed }) };
}
