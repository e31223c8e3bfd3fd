import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient, createLogger, loadConfig, RecordingEventPublisher, silentLogger, type BerthConfig, type Client, type ConfigOverrides } from '@berth/kit';
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
  /** Merged into the stack's config (registry mirrors, say). */
  config?: ConfigOverrides;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir: TempDir = tempDir('berth-image-stack-');
  const undo: Array<() => Promise<void> | void> = [async () => dir.cleanup(), () => unmountUnder(dir.path)];
  const stop = async () => {
    for (const step of undo.splice(0).reverse()) await step();
  };
  try {
    const registry = await startRegistry();
    undo.push(() => registry.stop());
    const config = loadConfig({ env: {}, file: null, overrides: { ...options.config, stateRoot: path.join(dir.path, 'state'), runRoot: path.join(dir.path, 'run') } });
    const events = new RecordingEventPublisher();
    const deps = { logger: process.env['BERTH_TEST_LOG'] ? createLogger({ service: 'test', level: process.env['BERTH_TEST_LOG'] }) : silentLogger(), events };
    const registryService = await startRegistryService(config, deps);
    undo.push(() => registryService.close());
    const { wrapRegistry, config: _config, ...compose } = options;
    const inner = wrapRegistry ? new GrpcRegistryClient(config.addresses.registry) : undefined;
    undo.push(() => inner?.close());
    const imageService = await start(config, deps, { ...compose, ...(inner && wrapRegistry && { registry: wrapRegistry(inner) }) });
    undo.push(() => imageService.close());
    const client = createClient(image.ImagesService, imageService.address);
    undo.push(() => client.close());
    return { registry, config, client, events, root: path.join(config.stateRoot, 'image'), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Collects a pull's progress messages; rethrows the stream's error with the messages seen. */
export async function pull(client: Stack['client'], reference: string, platform?: { os: string; architecture: string; variant?: string }): Promise<image.PullProgress[]> {
  const out: image.PullProgress[] = [];
  const request = { reference, ...(platform && { platform: { variant: '', ...platform } }) };
  for await (const p of client.pullImage(request)) out.push(p);
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
