import { clientFor, type BerthConfig, type Client } from '@berth/kit';
import { image, network, registry, runtime } from '@berth/proto';

/** The services the gateway forwards to; the only way it reaches them. */
export interface Backends {
  images: Client<image.ImagesService>;
  containers: Client<runtime.ContainersService>;
  volumes: Client<runtime.VolumesService>;
  networks: Client<network.NetworksService>;
  registry: Client<registry.RegistryService>;
}

export function connectBackends(config: BerthConfig): Backends {
  return {
    images: clientFor(image.ImagesService, config.addresses.image, config),
    // The list is polled (docker ps, /info, monitors) and rarely changes: decoded once per change.
    containers: clientFor(runtime.ContainersService, config.addresses.runtime, config, { reuseIdentical: ['listContainers'] }),
    volumes: clientFor(runtime.VolumesService, config.addresses.runtime, config),
    networks: clientFor(network.NetworksService, config.addresses.network, config),
    registry: clientFor(registry.RegistryService, config.addresses.registry, config),
  };
}

export function closeBackends(backends: Backends): void {
  backends.images.close();
  backends.containers.close();
  backends.volumes.close();
  backends.networks.close();
  backends.registry.close();
}
