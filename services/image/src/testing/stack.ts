import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient, createLogger, loadConfig, RecordingEventPublisher, silentLogger, type BerthConfig, type Client } from '@berth/kit';
import { image } from '@berth/proto';
import { start as startRegistryService } from '@berth/registry';
import { startRegistry, tempDir, type RegistryFixture, type TempDir } from '@berth/fixtures';
import { start } from '../index.js';
import type { ComposeOptions } from '../compose.js';
import type { RegistryClient } from '../domain/registry.js';
import { GrpcRegistryClient } from '../grpc/registry-client.js';

/**
 * A real docker-registry, the registry service and the image service in-process on temp unix
 * sockets, with state in a temp dir and a recording event publisher.
 */
export interface Stack {
  registry: RegistryFixture;
  config: BerthConfig;
  client: Client<typeof image.ImagesService>;
  events: RecordingEventPublisher;
  /** `<stateRoot>/image` */
  root: string;
  stop(): Promise<void>;
}

export interface StackOptions extends ComposeOptions {
  /** Wraps the real registry client (to pause or observe transfers). */
  wrapRegistry?: (inner: RegistryClient) => RegistryClient;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir: TempDir = tempDir('berth-image-stack-');
  const registry = await startRegistry();
  const config = loadConfig({ env: {}, file: null, overrides: { stateRoot: path.join(dir.path, 'state'), runRoot: path.join(dir.path, 'run') } });
  const events = new RecordingEventPublisher();
  const deps = { logger: process.env['BERTH_TEST_LOG'] ? createLogger({ service: 'test', level: process.env['BERTH_TEST_LOG'] }) : silentLogger(), events };
  const registryService = await startRegistryService(config, deps);
  const { wrapRegistry, ...compose } = options;
  const inner = wrapRegistry ? new GrpcRegistryClient(config.addresses.registry) : undefined;
  const imageService = await start(config, deps, { ...compose, ...(inner && wrapRegistry && { registry: wrapRegistry(inner) }) });
  const client = createClient(image.ImagesService, imageService.address);
  return {
    registry,
    config,
    client,
    events,
    root: path.join(config.stateRoot, 'image'),
    async stop() {
      client.close();
      await imageService.close();
      inner?.close();
      await registryService.close();
      await registry.stop();
      await unmountUnder(dir.path);
      await dir.cleanup();
    },
  };
}

/** Collects a pull's progress messages; rethrows the stream's error with the messages seen. */
export async function pull(client: Stack['client'], reference: string): Promise<image.PullProgress[]> {
  const out: image.PullProgress[] = [];
  for await (const p of client.pullImage({ reference })) out.push(p);
  return out;
}

/** Unmounts whatever a failed test left mounted under `dir` (deepest first). */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await promisify(execFile)('umount', ['-l', m]);
}
