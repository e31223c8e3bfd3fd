import type { Handlers } from '@berth/kit';
import type { registry } from '@berth/proto';
import type { Registry } from '../domain/registry.js';
import { credsFromProto, platformFromProto, resolvedToProto } from './convert.js';

/**
 * The gRPC face of the registry service: decode, call the domain, encode. Search is not served
 * yet (kit answers UNIMPLEMENTED for it).
 */
export function registryHandlers(reg: Registry): Partial<Handlers<typeof registry.RegistryService>> {
  return {
    resolve: async (req, ctx) =>
      resolvedToProto(
        await reg.resolve(req.reference, { platform: platformFromProto(req.platform), creds: credsFromProto(req.auth), signal: ctx.signal }),
      ),

    getManifest: async (req, ctx) => {
      const m = await reg.getManifest(req.repository, req.digest, { creds: credsFromProto(req.auth), signal: ctx.signal });
      return { mediaType: m.mediaType, digest: m.digest, content: m.content };
    },

    fetchBlob: async function* (req, ctx) {
      const blob = await reg.fetchBlob(req.repository, req.digest, {
        offset: req.offset,
        creds: credsFromProto(req.auth),
        signal: ctx.signal,
      });
      let first = true;
      for await (const data of blob.chunks) {
        yield { data, totalSize: first ? blob.totalSize : 0 };
        first = false;
      }
      // An empty blob (or an offset at its end) still tells the caller its size.
      if (first) yield { data: Buffer.alloc(0), totalSize: blob.totalSize };
    },

    statBlob: async (req, ctx) => reg.statBlob(req.repository, req.digest, { creds: credsFromProto(req.auth), signal: ctx.signal }),

    listTags: async (req, ctx) => ({
      tags: await reg.listTags(req.repository, { creds: credsFromProto(req.auth), signal: ctx.signal }),
    }),

    login: async (req, ctx) => reg.login(req.auth?.serverAddress ?? '', credsFromProto(req.auth) ?? {}, ctx.signal),
  };
}
