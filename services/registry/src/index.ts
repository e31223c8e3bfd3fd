import { serve, startGrpcServer, type BerthConfig, type ServiceDeps } from '@berth/kit';
import { registry } from '@berth/proto';
import { registryOptions } from './config.js';
import { Registry } from './domain/registry.js';
import { registryHandlers } from './grpc/registry-service.js';

/**
 * Starts the registry service (an OCI distribution client) on `config.addresses.registry`.
 * It publishes no events of its own: the image service announces pulls.
 */
export async function start(config: BerthConfig, deps: ServiceDeps): Promise<{ address: string; close(): Promise<void> }> {
  const logger = deps.logger;
  const reg = new Registry({ ...registryOptions(config), logger: logger.child({ component: 'distribution' }) });
  const address = config.addresses.registry;
  try {
    const server = await startGrpcServer({
      name: 'registry',
      address,
      services: [serve(registry.RegistryService, registryHandlers(reg))],
      logger,
      ...(!address.startsWith('unix://') && config.tls.cert && { tls: config.tls }),
    });
    return {
      address: server.address,
      async close() {
        await server.close();
        reg.close();
      },
    };
  } catch (err) {
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
