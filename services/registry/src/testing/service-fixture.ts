import path from 'node:path';
import { createClient, loadConfig, NullEventPublisher, silentLogger, type Client, type ConfigOverrides } from '@berth/kit';
import { tempDir } from '@berth/fixtures';
import { registry } from '@berth/proto';
import type { ProxySettings } from '../config.js';
import type { SearchSettings } from '../domain/searcher.js';
import { start, type RegistryService } from '../index.js';

export interface ServiceUnderTest {
  client: Client<typeof registry.RegistryService>;
  /** The config's state root (the image service's ingest directory is under it: kit's ingestDir). */
  stateRoot: string;
  close(): Promise<void>;
}

/** Test-only: the registry service in-process on a temp unix socket, and a gRPC client of it. */
export async function startService(opts: { search?: Partial<SearchSettings> } = {}): Promise<ServiceUnderTest> {
  const dir = tempDir('berth-registry-svc-');
  try {
    const config = loadConfig({
      env: {},
      file: null,
      overrides: { runRoot: dir.path, stateRoot: dir.path, addresses: { registry: `unix://${path.join(dir.path, 'registry.sock')}` } },
    });
    const service = await start(config, { logger: silentLogger(), events: new NullEventPublisher() }, opts.search ? { search: opts.search } : {});
    const client = createClient(registry.RegistryService, service.address);
    return {
      client,
      stateRoot: dir.path,
      async close() {
        client.close();
        try {
          await service.close();
        } finally {
          await dir.cleanup();
        }
      },
    };
  } catch (err) {
    await dir.cleanup();
    throw err;
  }
}

export interface ProxiedService {
  service: RegistryService;
  /** "http://127.0.0.1:PORT" of the proxy. */
  base: string;
  /** "127.0.0.1:PORT" of the proxy. */
  host: string;
  stateRoot: string;
  close(): Promise<void>;
}

/** Test-only: the registry service in-process with its proxy on a random loopback port, state in a temp dir. */
export async function startProxied(
  proxy: Partial<ProxySettings>,
  opts: { search?: Partial<SearchSettings>; registry?: ConfigOverrides['registry'] } = {},
): Promise<ProxiedService> {
  const dir = tempDir('berth-proxy-');
  try {
    const config = loadConfig({
      env: {},
      file: null,
      overrides: {
        runRoot: dir.path,
        stateRoot: dir.path,
        addresses: { registry: `unix://${path.join(dir.path, 'registry.sock')}` },
        ...(opts.registry && { registry: opts.registry }),
      },
    });
    const service = await start(config, { logger: silentLogger(), events: new NullEventPublisher() }, {
      proxy: { address: '127.0.0.1:0', ...proxy },
      ...(opts.search && { search: opts.search }),
    });
    const host = service.proxyAddress!;
    return {
      service,
      host,
      base: `http://${host}`,
      stateRoot: dir.path,
      async close() {
        try {
          await service.close();
        } finally {
          await dir.cleanup();
        }
      },
    };
  } catch (err) {
    await dir.cleanup();
    throw err;
  }
}
