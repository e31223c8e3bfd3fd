import { mkdir, readdir, rm, lstat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, EventType, newId } from '@berth/kit';
import { sendEvent, type RuntimeContext } from './context.js';
import type { Volume } from './volume.js';

/** Docker's rule for local volume names. */
const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export interface CreateVolumeRequest {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

/** The volume's files on the host: `<state>/runtime/volumes/<name>/_data`. */
export function volumePath(ctx: RuntimeContext, name: string): string {
  return path.join(ctx.paths.volumesDir(), name, '_data');
}

export function publishVolume(ctx: RuntimeContext, name: string, action: string, extra: Record<string, string> = {}): Promise<void> {
  sendEvent(ctx, { type: EventType.Volume, action, actor: { id: name, attributes: { driver: 'local', ...extra } } });
  return Promise.resolve();
}

/**
 * Docker's volume create (local driver, no options yet): an existing volume of that name is
 * returned as it is; a new one gets its directory and a `create` event.
 */
export async function createVolume(ctx: RuntimeContext, req: CreateVolumeRequest, anonymous = false): Promise<Volume> {
  if (req.driver && req.driver !== 'local') throw new BerthError('not_found', `plugin "${req.driver}" not found`);
  if (Object.keys(req.options).length) throw new BerthError('invalid_argument', 'local volume driver options (type, device, o) are not supported yet');
  const name = req.name || newId();
  if (!VALID_NAME.test(name)) {
    throw new BerthError('invalid_argument',
      `"${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  const existing = ctx.volumes.get(name);
  if (existing) return existing;
  const volume: Volume = {
    name, driver: 'local', createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), labels: { ...req.labels }, options: {}, anonymous,
  };
  await mkdir(volumePath(ctx, name), { recursive: true, mode: 0o755 });
  if (!ctx.volumes.insert(volume)) return ctx.volumes.get(name)!; // made meanwhile by another request
  await publishVolume(ctx, name, 'create');
  return volume;
}

export function getVolume(ctx: RuntimeContext, name: string): Volume {
  const v = ctx.volumes.get(name);
  if (!v) throw new BerthError('not_found', `get ${name}: no such volume`);
  return v;
}

/** The containers (any state) that mount a volume. */
export function volumeUsers(ctx: RuntimeContext, name: string): string[] {
  return ctx.db.list().filter((c) => (c.volumes ?? []).some((m) => m.name === name)).map((c) => c.id);
}

/** Docker's volume rm: refused while any container uses it; `force` only forgives a missing one. */
export async function removeVolume(ctx: RuntimeContext, name: string, force: boolean): Promise<void> {
  if (!ctx.volumes.get(name)) {
    if (force) return;
    throw new BerthError('not_found', `get ${name}: no such volume`);
  }
  const users = volumeUsers(ctx, name);
  if (users.length) throw new BerthError('failed_precondition', `remove ${name}: volume is in use - [${users.join(', ')}]`);
  ctx.volumes.delete(name);
  await rm(path.join(ctx.paths.volumesDir(), name), { recursive: true, force: true });
  await publishVolume(ctx, name, 'destroy');
}

export interface VolumeView extends Volume {
  mountpoint: string;
  refCount: number;
}

/** Docker's volume ls filters: name (substring), label (key or key=value), dangling, driver. */
export function listVolumes(ctx: RuntimeContext, filters: Record<string, string[]>): VolumeView[] {
  for (const key of Object.keys(filters)) {
    if (!['name', 'label', 'dangling', 'driver'].includes(key)) throw new BerthError('invalid_argument', `invalid filter '${key}'`);
  }
  const refs = refCounts(ctx);
  return ctx.volumes.list().map((v) => view(ctx, v, refs.get(v.name) ?? 0)).filter((v) => {
    if (filters.name?.length && !filters.name.some((n) => v.name.includes(n))) return false;
    if (filters.driver?.length && !filters.driver.includes(v.driver)) return false;
    if (filters.label?.length && !filters.label.every((l) => labelMatches(l, v.labels))) return false;
    if (filters.dangling?.length) {
      const want = filters.dangling[0] === 'true' || filters.dangling[0] === '1';
      if ((v.refCount === 0) !== want) return false;
    }
    return true;
  });
}

/** Docker's volume prune: unused anonymous volumes, or all unused ones with `all=true`; label filters. */
export async function pruneVolumes(ctx: RuntimeContext, filters: Record<string, string[]>): Promise<{ removed: string[]; bytes: number }> {
  const all = filters.all?.some((v) => v === 'true' || v === '1') ?? false;
  const candidates = listVolumes(ctx, { dangling: ['true'], ...(filters.label ? { label: filters.label } : {}) })
    .filter((v) => all || v.anonymous);
  const out = { removed: [] as string[], bytes: 0 };
  for (const v of candidates) {
    const bytes = await dirSize(v.mountpoint);
    try {
      await removeVolume(ctx, v.name, true);
    } catch (err) {
      ctx.logger.debug({ err, volume: v.name }, 'not pruned (in use meanwhile)');
      continue;
    }
    out.removed.push(v.name);
    out.bytes += bytes;
  }
  return out;
}

export function view(ctx: RuntimeContext, v: Volume, refCount = volumeUsers(ctx, v.name).length): VolumeView {
  return { ...v, mountpoint: volumePath(ctx, v.name), refCount };
}

function refCounts(ctx: RuntimeContext): Map<string, number> {
  const refs = new Map<string, number>();
  for (const c of ctx.db.list()) for (const m of c.volumes ?? []) refs.set(m.name, (refs.get(m.name) ?? 0) + 1);
  return refs;
}

function labelMatches(filter: string, labels: Record<string, string>): boolean {
  const i = filter.indexOf('=');
  return i < 0 ? filter in labels : labels[filter.slice(0, i)] === filter.slice(i + 1);
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? await dirSize(p) : (await lstat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
