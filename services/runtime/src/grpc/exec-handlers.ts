import { BerthError, type Handlers } from '@berth/kit';
import type { runtime } from '@berth/proto';
import type { ExecService } from '../domain/exec-service.js';
import { execConfigFromProto, execOutputToProto, execToProto, splitOptions } from './stdio-convert.js';

type H = Handlers<typeof runtime.ContainersService>;

/** The exec RPCs of runtime.ContainersService: decode, call, encode. */
export function execHandlers(execs: ExecService): Pick<H, 'createExec' | 'startExec' | 'getExec' | 'resizeExec'> {
  return {
    createExec: async (req) => ({ id: (await execs.create(req.containerId, execConfigFromProto(req))).id }),
    startExec: async function* (reqs, ctx) {
      const { options, rest } = await splitOptions(reqs, (r) => r.options, (r) => r.input);
      if (!options) throw new BerthError('invalid_argument', 'the first message must carry the start options');
      const size = options.consoleSize;
      const consoleSize = size && size.height && size.width ? { consoleSize: { height: size.height, width: size.width } } : {};
      for await (const e of execs.start(options.id, { detach: options.detach, ...consoleSize }, rest, ctx.signal)) yield execOutputToProto(e);
    },
    getExec: async (req) => ({ exec: execToProto(execs.get(req.id)) }),
    resizeExec: async (req) => (await execs.resize(req.id, req.height, req.width), {}),
  };
}
