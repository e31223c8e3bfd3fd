import { BerthError } from '@berth/kit';
import { DEFAULT_DOMAIN, parseRepository, type Reference } from '../domain/reference.js';
import type { ProxySettings } from '../config.js';

export type Repository = Pick<Reference, 'domain' | 'path'>;

/**
 * One request of the distribution API's read side, as the proxy serves it. `upstream` is the
 * path segment before `/v2` when there is one (`/127.0.0.1_5001/v2/busybox/…`): a mirror URL
 * that names its registry, so one proxy can be every registry's mirror.
 */
export type ProxyOp = (
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'metrics' }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'tags'; name: string }
  | { kind: 'unknown' }
) & { upstream?: string };

const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const BLOB = /^\/v2\/(.+)\/blobs\/([^/]+)$/;
const TAGS = /^\/v2\/(.+)\/tags\/list$/;

const PREFIXED = /^\/([^/]+)(\/v2(?:\/.*)?)$/;

/**
 * `/v2/<name>/manifests/<ref>` and friends, optionally under `/<upstream>` (a route or a registry
 * host); names may arrive percent-encoded (`127.0.0.1%3A5001`).
 */
export function parseProxyPath(pathname: string): ProxyOp {
  const prefixed = PREFIXED.exec(pathname);
  if (prefixed && prefixed[1] !== 'v2') {
    const op = parseV2Path(prefixed[2]!);
    return op.kind === 'metrics' || op.kind === 'unknown' ? { kind: 'unknown' } : { ...op, upstream: decode(prefixed[1]!) };
  }
  return parseV2Path(pathname);
}

function parseV2Path(pathname: string): ProxyOp {
  if (pathname === '/v2/' || pathname === '/v2') return { kind: 'base' };
  if (pathname === '/v2/_catalog') return { kind: 'catalog' };
  if (pathname === '/metrics') return { kind: 'metrics' };
  let m = MANIFEST.exec(pathname);
  if (m) return { kind: 'manifest', name: decode(m[1]!), reference: decode(m[2]!) };
  m = BLOB.exec(pathname);
  if (m) return { kind: 'blob', name: decode(m[1]!), digest: decode(m[2]!) };
  m = TAGS.exec(pathname);
  if (m) return { kind: 'tags', name: decode(m[1]!) };
  return { kind: 'unknown' };
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // not valid percent-encoding: the name check below refuses it
  }
}

/**
 * Which upstream registry and repository a name the client asked for stands for, in order:
 * containerd's `?ns=<registry>` (the whole name is the repository), a configured route (first
 * component → registry), a registry host as first component (`127.0.0.1:5001/busybox`, or
 * `127.0.0.1_5001/busybox` for clients whose reference grammar has no room for a port inside a
 * name: `_` never occurs in host names), else the default upstream (`library/busybox` →
 * docker.io, as a registry mirror). A mirror-URL prefix (`/<route|host>/v2/…`, `upstreamOf`)
 * counts as `?ns=`. Only allowed upstreams are served.
 */
export class UpstreamRouter {
  private readonly allowAll: boolean;
  private readonly allowed = new Set<string>();

  constructor(private readonly settings: Pick<ProxySettings, 'defaultUpstream' | 'routes' | 'upstreams'>) {
    this.allowAll = settings.upstreams.includes('*');
    for (const host of [...settings.upstreams, ...Object.values(settings.routes), settings.defaultUpstream]) {
      if (host) this.allowed.add(canonicalHost(host));
    }
  }

  /**
   * The registry a mirror-URL prefix stands for: a configured route (`/hub/v2/…`) or a registry
   * host (`/127.0.0.1_5001/v2/…`, `/127.0.0.1:5001/v2/…`). Only allowed upstreams are served.
   */
  upstreamOf(prefix: string): string {
    const upstream = Object.hasOwn(this.settings.routes, prefix)
      ? this.settings.routes[prefix]!
      : looksLikeHost(prefix)
        ? prefix.replace(/_(\d{1,5})$/, ':$1')
        : undefined;
    if (upstream === undefined) throw new BerthError('not_found', `${prefix} is neither a route nor a registry host of this proxy`);
    return this.allow(upstream);
  }

  route(name: string, ns?: string | null): Repository {
    let upstream: string;
    let rest: string;
    const slash = name.indexOf('/');
    const first = slash < 0 ? '' : name.slice(0, slash);
    if (ns) {
      upstream = ns;
      rest = name;
    } else if (first && Object.hasOwn(this.settings.routes, first)) {
      upstream = this.settings.routes[first]!;
      rest = name.slice(slash + 1);
    } else if (first && looksLikeHost(first)) {
      upstream = first.replace(/_(\d{1,5})$/, ':$1');
      rest = name.slice(slash + 1);
    } else if (this.settings.defaultUpstream) {
      upstream = this.settings.defaultUpstream;
      rest = name;
    } else {
      throw new BerthError('not_found', `repository ${name} not known: name a registry (host/repository) or a configured route`);
    }
    const host = this.allow(upstream);
    if (!rest) throw new BerthError('invalid_argument', `invalid repository name ${JSON.stringify(name)}`);
    return parseRepository(`${host === DEFAULT_DOMAIN ? DEFAULT_DOMAIN : host}/${rest}`);
  }

  private allow(upstream: string): string {
    const host = canonicalHost(upstream);
    if (!this.allowAll && !this.allowed.has(host)) {
      throw new BerthError('permission_denied', `registry ${host} is not an upstream of this proxy`);
    }
    return host;
  }
}

/**
 * A canonical repository name (`127.0.0.1:5001/busybox`) as a client of the proxy can spell it:
 * the distribution grammar has no `:` inside a name, so the port is written `_5001`.
 */
export function proxyName(canonical: string): string {
  const slash = canonical.indexOf('/');
  return canonical.slice(0, slash).replace(/:(\d{1,5})$/, '_$1') + canonical.slice(slash);
}

/** Docker's rule for a registry host as first name component, plus the `_port` spelling. */
function looksLikeHost(component: string): boolean {
  return /[.:]/.test(component) || component === 'localhost' || /^localhost_\d{1,5}$/.test(component);
}

function canonicalHost(host: string): string {
  const h = host.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '').toLowerCase();
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? DEFAULT_DOMAIN : h;
}
