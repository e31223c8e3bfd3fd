import { BerthError, type Handlers } from '@berth/kit';
import type { runtime } from '@berth/proto';
import type { PathStat } from '../archive/container-path.js';
import type { ContainerService } from '../domain/container-service.js';

type H = Handlers<typeof runtime.ContainersService>;

/** diff, cp and export: decode, call, encode. */
export function archiveHandlers(
  containers: ContainerService,
): Pick<H, 'containerChanges' | 'statContainerPath' | 'archiveContainerPath' | 'extractToContainer' | 'exportContainer'> {
  return {
    containerChanges: async (req) => ({ changes: await containers.changes(req.id) }),
    statContainerPath: async (req) => ({ stat: statToProto(await containers.statPath(req.id, req.path)) }),
    archiveContainerPath: async function* (req, ctx) {
      // Resolved before the first message, so that an unknown container is the call's error.
      for await (const part of containers.archivePath(req.id, req.path, ctx.signal)) {
        yield 'stat' in part ? { stat: statToProto(part.stat), data: Buffer.alloc(0) } : { data: part.data };
      }
    },
    extractToContainer: async (reqs, ctx) => {
      const it = reqs[Symbol.asyncIterator]();
      const first = await it.next();
      const o = first.done ? undefined : first.value.options;
      if (!o) throw new BerthError('invalid_argument', 'the first message must carry the extract options');
      const data: AsyncIterable<Uint8Array> = {
        async *[Symbol.asyncIterator]() {
          for (let r = await it.next(); !r.done; r = await it.next()) if (r.value.data.length > 0) yield r.value.data;
        },
      };
      await containers.extract(o.id, { path: o.path, noOverwriteDirNonDir: o.noOverwriteDirNonDir, copyUidGid: o.copyUidGid }, data, ctx.signal);
      return {};
    },
    exportContainer: async function* (req, ctx) {
      for await (const data of containers.export(req.id, ctx.signal)) yield { data };
    },
  };
}

function statToProto(s: PathStat): runtime.ContainerPathStat {
  return { name: s.name, size: s.size, mode: s.mode, mtime: s.mtime.toISOString(), linkTarget: s.linkTarget };
}
