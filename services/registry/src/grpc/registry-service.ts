import { BerthError, type Handlers } from '@berth/kit';
import type { registry } from '@berth/proto';
import type { Registry } from '../domain/registry.js';
import { credsFromProto, filtersFromProto, platformFromProto, resolvedToProto, searchResultToProto } from './convert.js';

/** The gRPC face of the registry service: decode, call the domain, encode. */
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
      for await (const data of gather(blob.chunks, Number(process.env.GATHER ?? 0))) {
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

    search: async (req, ctx) => ({
      results: (
        await reg.search(req.term, { limit: req.limit, filters: filtersFromProto(req.filters), creds: credsFromProto(req.auth), signal: ctx.signal })
      ).map(searchResultToProto),
    }),

    blobExists: async (req, ctx) => reg.blobExists(req.repository, req.digest, { creds: credsFromProto(req.auth), signal: ctx.signal }),

    mountBlob: async (req, ctx) =>
      reg.mountBlob(req.repository, req.digest, req.fromRepository, { creds: credsFromProto(req.auth), signal: ctx.signal }),

    pushBlob: async (reqs, ctx) => {
      const messages = reqs[Symbol.asyncIterator]();
      const first = await messages.next();
      const header = first.done ? undefined : first.value.header;
      if (!header) throw new BerthError('invalid_argument', 'PushBlob: the first message must carry the header');
      async function* data(): AsyncGenerator<Uint8Array> {
        if (first.value!.data.length > 0) yield first.value!.data;
        for (let m = await messages.next(); !m.done; m = await messages.next()) yield m.value.data;
      }
      return reg.pushBlob(
        header.repository,
        { digest: header.digest, size: header.size, chunks: data() },
        {
          chunkSize: header.chunkSize,
          mountFrom: header.mountFrom,
          force: header.force,
          creds: credsFromProto(header.auth),
          signal: ctx.signal,
        },
      );
    },

    pushManifest: async (req, ctx) =>
      reg.pushManifest(req.repository, req.reference, req.mediaType, Buffer.from(req.content), { creds: credsFromProto(req.auth), signal: ctx.signal }),
  };
}

async function* gather(chunks: AsyncIterable<Buffer>, min: number): AsyncGenerator<Buffer> {
  if (min <= 0) return yield* chunks;
  let parts: Buffer[] = [];
  let size = 0;
  for await (const c of chunks) {
    parts.push(c);
    size += c.length;
    if (size >= min) {
      yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(parts, size);
}
