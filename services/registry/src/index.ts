import path from 'node:path';
import { ingestDir, serve, serviceDirs, startGrpcServer, type BerthConfig, type ServiceDeps } from '@berth/kit';
import { registry } from '@berth/proto';
import { registrySettings, type RegistryStartOptions } from './config.js';
import { Registry } from './domain/registry.js';
import { BlobSocketServer } from './grpc/blob-socket.js';
import { registryHandlers } from './grpc/registry-service.js';
import { startProxyServer, type ProxyServer } from './proxy/proxy-server.js';

export interface RegistryService {
  /** The gRPC address. */
  address: string;
  /** The pull-through proxy's HTTP address ("127.0.0.1:PORT"), when one is configured. */
  proxyAddress?: string;
  close(): Promise<void>;
}

/**
 * Starts the registry service (an OCI distribution client) on `config.addresses.registry`, and
 * the pull-through proxy when `[registry.proxy] address` (or `options.proxy.address`) is set.
 * It publishes no events of its own: the image service announces pulls and pushes.
 */
export async function start(config: BerthConfig, deps: ServiceDeps, options: RegistryStartOptions = {}): Promise<RegistryService> {
  const logger = deps.logger;
  const settings = registrySettings(config, options);
  const reg = new Registry({ ...settings.client, logger: logger.child({ component: 'distribution' }) });
  const address = config.addresses.registry;
  let proxy: ProxyServer | undefined;
  let blobSocket: BlobSocketServer | undefined;
  try {
    // StreamBlob's data plane, for callers on this host (only when gRPC is on a unix socket too).
    if (address.startsWith('unix://')) blobSocket = await BlobSocketServer.listen(path.join(serviceDirs(config, 'registry').run, 'blobs.sock'));
    if (settings.proxy) proxy = await startProxyServer({ settings: settings.proxy, client: settings.client, logger });
    const server = await startGrpcServer({
      name: 'registry',
      address,
      services: [serve(registry.RegistryService, registryHandlers(reg, { ...(blobSocket && { blobSocket }), ingestDir: ingestDir(config) }))],
      logger,
      ...(!address.startsWith('unix://') && config.tls.cert && { tls: config.tls }),
    });
    return {
      address: server.address,
      ...(proxy && { proxyAddress: proxy.address }),
      async close() {
        await Promise.all([server.close(), proxy?.close(), blobSocket?.close()]);
        reg.close();
      },
    };
  } catch (err) {
    await proxy?.close();
    await blobSocket?.close();
    reg.close();
    throw err;
  }
}

// Reference grammar and normalisation: the image service and the gateway parse names with these.
export {
  parseReference,
  parseDockerRef,
  parseRepository,
  withDefaultTag,
  familiarName,
  familiarString,
  referenceString,
  repositoryName,
  validateDigest,
  registryHostOf,
  DEFAULT_DOMAIN,
  DEFAULT_TAG,
  OFFICIAL_REPO_PREFIX,
  type Reference,
} from './domain/reference.js';
export { normalizePlatform, hostPlatform, formatPlatform, platformRank, selectManifest, type Platform } from './domain/platform.js';
export { MediaType, isIndexType, isManifestType, type Descriptor } from './domain/media-types.js';
export { Registry } from './domain/registry.js';
export type { Credentials } from './domain/auth.js';
export type { Resolved, ResolveOptions } from './domain/resolver.js';
export type { BlobStream } from './domain/blob-reader.js';
export type { BlobSource, PushOutcome } from './domain/blob-pusher.js';
export type { SearchResult } from './domain/searcher.js';
export type { ProxySettings, RegistryStartOptions } from './config.js';
