import { closeSync } from 'node:fs';
import { BerthError, type Handlers } from '@berth/kit';
import type { registry } from '@berth/proto';
import type { Registry } from '../domain/registry.js';
import { openIngestFile, writeChunksToFile } from './blob-file.js';
import { sendChunks, type BlobSocketServer } from './blob-socket.js';
import { credsFromProto, filtersFromProto, platformFromProto, resolvedToProto, searchResultToProto } from './convert.js';

export interface HandlerOptions {
  /** StreamBlob's data plane (a service on a unix socket). */
  blobSocket?: BlobSocketServer;
  /** Where StreamBlob may write blobs itself (`into_file`): the image service's ingest directory. */
  ingestDir?: string;
}

/** The gRPC face of the registry service: decode, call the domain, encode. */
export function registryHandlers(reg: Registry, { blobSocket, ingestDir }: HandlerOptions = {}): Partial<Handlers<typeof registry.RegistryService>> {
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

    streamBlob: async function* (req, ctx) {
      if (!blobSocket) throw new BerthError('unimplemented', 'StreamBlob: no blob socket (the service is not on a unix socket)');
      if (req.intoFile && req.offset !== 0) throw new BerthError('invalid_argument', 'StreamBlob: into_file needs offset 0 (a resume streams over the socket)');
      // The file is checked before anything is fetched: a refusal costs no request to the registry.
      const fd = req.intoFile ? await openIngestFile(req.intoFile, ingestDir) : undefined;
      try {
        const blob = await reg.fetchBlob(req.repository, req.digest, { offset: req.offset, creds: credsFromProto(req.auth), signal: ctx.signal });
        const offer = blobSocket.offer(ctx.signal);
        try {
          yield { socket: blobSocket.path, ticket: offer.ticket, totalSize: blob.totalSize, sent: 0 };
          const socket = await offer.connected;
          const recycle = (chunk: Buffer) => blob.recycle(chunk);
          const sent = fd === undefined ? await sendChunks(socket, blob.chunks, ctx.signal, recycle) : await writeChunksToFile(fd, socket, blob.chunks, ctx.signal, recycle);
          yield { socket: '', ticket: '', totalSize: blob.totalSize, sent };
        } finally {
          offer.cancel();
          blob.close();
        }
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
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
