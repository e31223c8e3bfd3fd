import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BerthConfig, Logger } from '@berth/kit';
import type { EngineIdentity } from './server/docker-shapes/system-shapes.js';

const here = dirname(fileURLToPath(import.meta.url));

/** berth's version: the gateway package's own. */
async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(here, '..', 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/**
 * Docker's engine ID: made once, kept in the gateway's own state dir. When that dir cannot be
 * written (a read-only test setup) the ID lives as long as the process, with a warning.
 */
async function engineId(config: BerthConfig, logger: Logger): Promise<string> {
  const file = join(config.stateRoot, 'gateway', 'engine-id');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    // No ID yet: make one below.
  }
  const id = randomUUID();
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, id + '\n', { mode: 0o644 });
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'engine ID not persisted');
  }
  return id;
}

export async function engineIdentity(config: BerthConfig, logger: Logger, gitCommit = ''): Promise<EngineIdentity> {
  const built = await stat(fileURLToPath(import.meta.url));
  return {
    version: await packageVersion(),
    gitCommit: gitCommit || 'unknown',
    buildTime: built.mtime.toISOString(),
    id: await engineId(config, logger),
    rootDir: config.stateRoot,
    insecureRegistries: [...config.registry.insecure],
  };
}
