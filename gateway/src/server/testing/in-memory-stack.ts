import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, serve, silentLogger, startGrpcServer, type GrpcServerHandle } from '@berth/kit';
import { image, network, runtime } from '@berth/proto';
import { start, type RunningGateway } from '../../index.js';
import { HELLO_IMAGE, InMemoryImages } from './in-memory-images.js';
import { InMemoryRuntime } from './in-memory-runtime.js';
import { InMemoryNetworks } from './in-memory-networks.js';

export interface InMemoryStack {
  socketPath: string;
  images: InMemoryImages;
  runtime: InMemoryRuntime;
  networks: InMemoryNetworks;
  gateway: RunningGateway;
  close(): Promise<void>;
}

/**
 * The gateway in front of in-memory image and runtime services, each a real gRPC server on a
 * temp unix socket: the HTTP side and the gRPC clients are the real ones, only the service
 * internals are stand-ins. (Against the real services, see the end-to-end tests in test/.)
 */
export async function startInMemoryStack(): Promise<InMemoryStack> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-gateway-'));
  const config = loadConfig({ file: null, env: { BERTH_RUN_ROOT: join(dir, 'run'), BERTH_STATE_ROOT: join(dir, 'state') } });
  const logger = silentLogger();
  const images = new InMemoryImages({ 'hello-world:latest': HELLO_IMAGE });
  const rt = new InMemoryRuntime(images);
  const networks = new InMemoryNetworks();
  const servers: GrpcServerHandle[] = [
    await startGrpcServer({ name: 'image', address: config.addresses.image, services: [serve(image.ImagesService, images.handlers())], logger }),
    await startGrpcServer({ name: 'runtime', address: config.addresses.runtime, services: [serve(runtime.ContainersService, rt.handlers())], logger }),
    await startGrpcServer({ name: 'network', address: config.addresses.network, services: [serve(network.NetworksService, networks.handlers())], logger }),
  ];
  const gateway = await start(config, { logger });
  return {
    socketPath: gateway.socketPath,
    images,
    runtime: rt,
    networks,
    gateway,
    async close() {
      await gateway.close();
      await Promise.all(servers.map((s) => s.close(100)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
