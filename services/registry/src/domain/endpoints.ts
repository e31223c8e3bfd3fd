import { BerthError } from '@berth/kit';
import { DEFAULT_DOMAIN } from './reference.js';
import type { Endpoint } from './transport.js';

/** Docker Hub's API lives on another host than its name. */
const DOCKER_HUB_API = 'registry-1.docker.io';

/** A mirror as configured: "http://127.0.0.1:5001", "https://mirror.example/prefix", "mirror.example". */
export function parseMirror(raw: string): Endpoint {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `dummy://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (err) {
    throw new BerthError('invalid_argument', `registry mirror ${JSON.stringify(raw)}: invalid URL`, { cause: err });
  }
  const scheme = url.protocol === 'http:' ? 'http' : url.protocol === 'https:' ? 'https' : undefined;
  if (url.protocol !== 'dummy:' && !scheme) throw new BerthError('invalid_argument', `registry mirror ${raw}: unsupported scheme`);
  const prefix = url.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
  return { authority: url.host, ...(scheme && { scheme }), prefix, mirror: true };
}

/**
 * Where pulls from `domain` go, in order: its mirrors (`config.registry.mirrors[domain]`), then the
 * registry itself. Pushes and logins use only the last one.
 */
export function endpointsFor(domain: string, mirrors: Readonly<Record<string, readonly string[]>> = {}): Endpoint[] {
  const upstream: Endpoint = { authority: domain === DEFAULT_DOMAIN ? DOCKER_HUB_API : domain, prefix: '', mirror: false };
  return [...(mirrors[domain] ?? []).map(parseMirror), upstream];
}
