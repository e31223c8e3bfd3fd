import { createClient, type BerthConfig, type Client } from '@berth/kit';
import { image, network, registry, runtime } from '@berth/proto';

/** The services the gateway forwards to; the only way it reaches them. */
export interface Backends {
  images: Client<image.ImagesService>;
  containers: Client<runtime.ContainersService>;
  networks: Client<network.NetworksService>;
  registry: Client<registry.RegistryService>;
}

export function connectBackends(config: BerthConfig): Backends {
  const options = { tls: config.tls };
  return {
    images: createClient(image.ImagesService, config.addresses.image, options),
    containers: createClient(runtime.ContainersService, config.addresses.runtime, options),
    networks: createClient(network.NetworksService, config.addresses.network, options),
    registry: createClient(registry.RegistryService, config.addresses.registry, options),
  };
}

export function closeBackends(backends: Backends): void {
  backends.images.close();
  backends.containers.close();
  backends.networks.close();
  backends.registry.close();
}
