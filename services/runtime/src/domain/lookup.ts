import { BerthError } from '@berth/kit';
import { isRunning, Status, type Container } from './container.js';
import type { RuntimeContext } from './context.js';

/** Docker's lookup order: full id, then name ("/web" or "web"), then a unique id prefix. */
export function findContainer(ctx: RuntimeContext, ref: string): Container {
  if (!ref) throw new BerthError('invalid_argument', 'no container specified');
  const byId = /^[0-9a-f]{64}$/.test(ref) ? ctx.db.get(ref) : undefined;
  if (byId) return byId;
  const holder = ctx.db.nameHolder(ref.replace(/^\//, ''));
  const byName = holder ? ctx.db.get(holder) : undefined;
  if (byName) return byName;
  if (/^[0-9a-f]+$/.test(ref)) {
    const ids = ctx.db.idsWithPrefix(ref, 2);
    if (ids.length > 1) throw new BerthError('invalid_argument', `multiple IDs found with provided prefix: ${ref}`);
    const byPrefix = ids[0] && ctx.db.get(ids[0]);
    if (byPrefix) return byPrefix;
  }
  throw new BerthError('not_found', `No such container: ${ref}`);
}

export interface ListOptions {
  all: boolean;
  limit: number;
  filters: Record<string, string[]>;
}

const FILTERS = new Set(['id', 'name', 'status', 'label', 'ancestor', 'exited', 'before', 'since']);
const STATUSES = new Set<string>(Object.values(Status));

/** Docker's container list: running ones unless `all`, newest first, filtered, limited. */
export function listContainers(ctx: RuntimeContext, opts: ListOptions): Container[] {
  for (const key of Object.keys(opts.filters)) {
    if (!FILTERS.has(key)) throw new BerthError('invalid_argument', `invalid filter '${key}'`);
  }
  for (const s of opts.filters.status ?? []) {
    if (!STATUSES.has(s)) throw new BerthError('invalid_argument', `invalid filter 'status=${s}'`);
  }
  const f = opts.filters;
  // Filters that name stopped containers (status, exited, limit, before/since) imply --all, as in Docker.
  const all = opts.all || opts.limit > 0 || Boolean(f.status?.length || f.exited?.length || f.before?.length || f.since?.length);
  let list = ctx.db.list();
  const createdOf = (ref: string) => findContainer(ctx, ref).created;
  if (f.before?.length) list = list.filter((c) => c.created < createdOf(f.before![0]!));
  if (f.since?.length) list = list.filter((c) => c.created > createdOf(f.since![0]!));
  list = list.filter((c) => {
    if (!all && !isRunning(c)) return false;
    if (f.id?.length && !f.id.some((p) => c.id.startsWith(p))) return false;
    if (f.name?.length && !f.name.some((n) => matches(n.replace(/^\//, ''), c.name))) return false;
    if (f.status?.length && !f.status.includes(c.state.status)) return false;
    if (f.exited?.length && !(c.state.status === Status.Exited && f.exited.includes(String(c.state.exitCode)))) return false;
    if (f.ancestor?.length && !f.ancestor.some((a) => a === c.spec.image || a === c.imageId || c.imageId.startsWith(`sha256:${a}`))) return false;
    if (f.label?.length && !f.label.every((l) => labelMatches(l, c.spec.labels))) return false;
    return true;
  });
  return opts.limit > 0 ? list.slice(0, opts.limit) : list;
}

/** Docker matches name filters as regular expressions; an invalid one falls back to a substring. */
function matches(pattern: string, name: string): boolean {
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return name.includes(pattern);
  }
}

function labelMatches(filter: string, labels: Record<string, string>): boolean {
  const i = filter.indexOf('=');
  if (i < 0) return filter in labels;
  return labels[filter.slice(0, i)] === filter.slice(i + 1);
}
