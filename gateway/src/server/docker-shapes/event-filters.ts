import { BerthError, type DockerEvent } from '@berth/kit';
import type { types } from '@berth/proto';

/** The filters `GET /events` accepts (Docker's, less the swarm-only ones that never match here). */
const KEYS = new Set(['type', 'event', 'container', 'image', 'network', 'volume', 'daemon', 'label', 'scope', 'plugin', 'node', 'service', 'secret', 'config']);

export type EventPredicate = (ev: DockerEvent) => boolean;

/**
 * Docker's event filter (moby daemon/events/filter.go): every given key must match. `type`,
 * `event`, `image`, `scope` match exactly; `container`, `network`, `volume`, `daemon` match
 * the actor's ID or name, exactly or by prefix, and exclude events of other types; `label`
 * (`k` or `k=v`) matches the actor's attributes; `event` matches health_status/exec_* by prefix.
 */
export function eventFilter(filters: types.Filter[]): EventPredicate {
  const f = new Map<string, string[]>();
  for (const { key, values } of filters) {
    if (!KEYS.has(key)) throw new BerthError('invalid_argument', `invalid filter '${key}'`);
    f.set(key, [...(f.get(key) ?? []), ...values]);
  }
  const exact = (key: string, source: string): boolean => {
    const v = f.get(key);
    return !v?.length || v.includes(source);
  };
  const fuzzy = (key: string, source: string): boolean => {
    const v = f.get(key);
    return !v?.length || v.some((x) => x === source || (source !== '' && source.startsWith(x)));
  };
  const byName = (key: string) => (ev: DockerEvent) => fuzzy(key, ev.Actor.ID) || fuzzy(key, ev.Actor.Attributes.name ?? '');
  const event = (ev: DockerEvent): boolean => {
    const v = f.get('event');
    if (!v?.length) return true;
    if (v.some((x) => ['health_status', 'exec_create', 'exec_start'].includes(x))) return fuzzy('event', ev.Action);
    return v.includes(ev.Action);
  };
  const image = (ev: DockerEvent): boolean => {
    if (!f.get('image')?.length) return true;
    const name = ev.Actor.Attributes[ev.Type === 'image' ? 'name' : 'image'] ?? '';
    return [ev.Actor.ID, name, stripTag(ev.Actor.ID), stripTag(name)].some((s) => exact('image', s));
  };
  const labels = (ev: DockerEvent): boolean =>
    (f.get('label') ?? []).every((kv) => {
      const i = kv.indexOf('=');
      if (i < 0) return kv in ev.Actor.Attributes;
      return ev.Actor.Attributes[kv.slice(0, i)] === kv.slice(i + 1);
    });
  const checks: EventPredicate[] = [
    event,
    (ev) => exact('type', ev.Type),
    (ev) => exact('scope', ev.scope),
    byName('daemon'),
    byName('container'),
    byName('network'),
    byName('volume'),
    byName('plugin'),
    image,
    labels,
  ];
  return (ev) => checks.every((c) => c(ev));
}

/** `busybox:latest` → `busybox`; `localhost:5000/a` keeps its port; digests are left alone. */
function stripTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? ref.slice(0, colon) : ref;
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `since`/`until` of `GET /events`: unix seconds with an optional fraction (what the docker CLI
 * sends, `1700000000.123456789`), an RFC 3339 time, or a Go duration before now (`10m`, `1h30m`).
 */
export function parseEventTime(value: string | null, name: string, now = Date.now()): Date | undefined {
  if (value === null || value === '') return undefined;
  let ms: number;
  if (/^-?\d+(\.\d+)?$/.test(value)) {
    const [sec, frac = ''] = value.split('.');
    ms = Number(sec) * 1000 + Number((frac + '000').slice(0, 3));
  } else if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) {
    ms = now - [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)].reduce((sum, m) => sum + Number(m[1]) * UNIT_MS[m[2]!]!, 0);
  } else {
    ms = Date.parse(value);
  }
  if (!Number.isFinite(ms)) throw new BerthError('invalid_argument', `invalid value for ${name}: ${value}`);
  return new Date(ms);
}
