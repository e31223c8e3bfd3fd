import { invalidArgument } from '@berth/kit';
import type { ImageContext } from './context.js';
import { familiarRef, findImage, viewOf } from './lookup.js';
import type { ImageRecord, ImageView } from './types.js';

/** Docker-style filters: key → accepted values. */
export type Filters = Record<string, string[]>;

const KNOWN = new Set(['dangling', 'label', 'reference', 'before', 'since', 'until']);

/**
 * Docker's image list filters: dangling, label, reference (glob), before/since (an image), until.
 * Without `all`, an image with no name that is the parent of another (a build's intermediate
 * step, a commit's base) is left out, as `docker images` does without `-a`.
 */
export function listImages(ctx: ImageContext, filters: Filters, all = true): ImageView[] {
  const match = imageFilter(ctx, filters);
  const parents = all ? new Set<string>() : ctx.images.parentIds();
  const shown = (v: ImageView) => !(v.repoTags.length === 0 && v.repoDigests.length === 0 && parents.has(v.id));
  return ctx.images.list().map((image) => viewOf(ctx.images, image)).filter((v) => shown(v) && match(v));
}

export function imageFilter(ctx: ImageContext, filters: Filters): (image: ImageView) => boolean {
  for (const key of Object.keys(filters)) if (!KNOWN.has(key)) throw invalidArgument(`invalid filter '${key}'`);
  const dangling = filters['dangling']?.map((v) => {
    if (!['true', 'false', '1', '0'].includes(v)) throw invalidArgument(`invalid filter 'dangling=${v}'`);
    return v === 'true' || v === '1';
  });
  const labels = filters['label'] ?? [];
  const patterns = (filters['reference'] ?? []).map(globToRegExp);
  const before = filters['before']?.map((r) => createdOf(findImage(ctx.images, r).image));
  const since = filters['since']?.map((r) => createdOf(findImage(ctx.images, r).image));
  const until = filters['until']?.map(parseUntil);
  return (image) => {
    const isDangling = image.repoTags.length === 0;
    if (dangling && !dangling.includes(isDangling)) return false;
    for (const l of labels) {
      const eq = l.indexOf('=');
      const [k, v] = eq < 0 ? [l, undefined] : [l.slice(0, eq), l.slice(eq + 1)];
      if (!(k in image.labels) || (v !== undefined && image.labels[k] !== v)) return false;
    }
    if (patterns.length > 0) {
      const names = ctx.images.refsOf(image.id).filter((r) => r.tag !== undefined).map(familiarRef);
      const ok = names.some((n) => patterns.some((p) => p.test(n) || p.test(n.slice(0, n.lastIndexOf(':')))));
      if (!ok) return false;
    }
    const created = createdOf(image);
    if (before && !before.every((t) => created < t)) return false;
    if (since && !since.every((t) => created > t)) return false;
    if (until && !until.every((t) => created < t)) return false;
    return true;
  };
}

function createdOf(image: ImageRecord): number {
  const t = Date.parse(image.created);
  return Number.isNaN(t) ? image.storedAt : t;
}

/** Unix seconds, RFC 3339, or a Go-style duration ago ("10m", "24h"). */
function parseUntil(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const d = /^(\d+)(s|m|h)$/.exec(value);
  if (d) return Date.now() - Number(d[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 's' | 'm' | 'h'];
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${value}'`);
  return t;
}

/** path.Match-style glob: `*` and `?` do not cross "/". */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}
