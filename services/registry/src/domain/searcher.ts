import { BerthError } from '@berth/kit';
import type { Credentials } from './auth.js';
import { endpointsFor } from './endpoints.js';
import { readBody } from './http.js';
import { parseJsonObject } from './media-types.js';
import { DEFAULT_DOMAIN } from './reference.js';
import { registryError } from './registry-errors.js';
import type { RegistryTransport } from './transport.js';

export interface SearchResult {
  name: string;
  description: string;
  starCount: number;
  isOfficial: boolean;
  isAutomated: boolean;
}

export interface SearchOptions {
  /** 0 means Docker's default, 25; at most 100. */
  limit?: number;
  /** Docker's search filters: is-official, is-automated, stars. */
  filters?: Record<string, string[]>;
  creds?: Credentials;
  signal?: AbortSignal;
}

export interface SearchSettings {
  /** Registries an unqualified term searches (by `_catalog`); none: Docker Hub. */
  registries: string[];
  /** Docker Hub's search API ("https://index.docker.io"); only asked for docker.io searches. */
  indexUrl: string;
}

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;
const MAX_CATALOG_PAGES = 100;
const MAX_BODY = 4 * 1024 * 1024;

/**
 * `docker search`: Docker Hub's v1 search API for docker.io, and for private registries (which
 * CNCF Distribution does not give a search API) the repository names of `_catalog` that contain
 * the term. A term may name its registry: `127.0.0.1:5000/busy`.
 */
export class Searcher {
  constructor(
    private readonly transport: RegistryTransport,
    private readonly settings: SearchSettings,
  ) {}

  async search(term: string, opts: SearchOptions = {}): Promise<SearchResult[]> {
    const limit = opts.limit || DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new BerthError('invalid_argument', `limit ${limit} is outside the range of [1, ${MAX_LIMIT}]`);
    }
    const keep = resultFilter(opts.filters ?? {});
    const { index, remote } = splitTerm(term);
    const registries = index ? [index] : this.settings.registries.length > 0 ? this.settings.registries : [DEFAULT_DOMAIN];
    const results: SearchResult[] = [];
    for (const registry of registries) {
      const found = registry === DEFAULT_DOMAIN ? await this.searchHub(remote, limit, opts) : await this.searchCatalog(registry, remote, opts);
      results.push(...found.filter(keep));
      if (results.length >= limit) break;
    }
    return results.slice(0, limit);
  }

  /** Repository names of a registry's catalog containing the term, as pullable names (`host/name`). */
  private async searchCatalog(registry: string, term: string, opts: SearchOptions): Promise<SearchResult[]> {
    const ep = endpointsFor(registry).at(-1)!;
    const needle = term.toLowerCase();
    const out: SearchResult[] = [];
    let path: string | undefined = '/_catalog?n=1000';
    for (let page = 0; path && page < MAX_CATALOG_PAGES; page++) {
      const res = await this.transport.request(ep, { method: 'GET', path, scopes: ['registry:catalog:*'], creds: opts.creds, signal: opts.signal });
      const body = await readBody(res, MAX_BODY, `catalog of ${registry}`);
      if (res.status !== 200) throw registryError(res.status, body, `search of ${registry}`);
      const json = parseJsonObject<{ repositories?: string[] | null }>(body, `catalog of ${registry}`);
      for (const name of json.repositories ?? []) {
        if (name.includes(needle)) out.push(result(`${registry}/${name}`));
      }
      path = nextCatalogPage(res.headers.link);
    }
    return out;
  }

  private async searchHub(term: string, limit: number, opts: SearchOptions): Promise<SearchResult[]> {
    const url = new URL('/v1/search', this.settings.indexUrl);
    url.searchParams.set('q', term);
    url.searchParams.set('n', String(limit));
    const ep = { authority: url.host, scheme: url.protocol === 'http:' ? ('http' as const) : ('https' as const), prefix: '', mirror: false };
    try {
      const res = await this.transport.request(ep, { method: 'GET', path: '', location: url.href, scopes: [], creds: opts.creds, signal: opts.signal });
      const body = await readBody(res, MAX_BODY, 'search results');
      if (res.status !== 200) throw registryError(res.status, body, 'search');
      const json = parseJsonObject<{ results?: HubResult[] | null }>(body, 'search results');
      return (json.results ?? []).map((r) => ({
        name: String(r.name ?? ''),
        description: String(r.description ?? ''),
        starCount: Number(r.star_count) || 0,
        isOfficial: r.is_official === true,
        isAutomated: r.is_automated === true,
      }));
    } catch (err) {
      if (err instanceof BerthError && err.kind === 'unavailable') {
        throw new BerthError('unavailable', `Docker Hub search (${url.origin}) is unreachable: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
}

interface HubResult {
  name?: string;
  description?: string;
  star_count?: number;
  is_official?: boolean;
  is_automated?: boolean;
}

function result(name: string): SearchResult {
  return { name, description: '', starCount: 0, isOfficial: false, isAutomated: false };
}

/** Docker's ParseSearchIndexInfo: "host:port/term" names a registry, anything else is docker.io. */
export function splitTerm(term: string): { index?: string; remote: string } {
  const slash = term.indexOf('/');
  const first = slash < 0 ? '' : term.slice(0, slash);
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost')) return { remote: term };
  const index = first === 'index.docker.io' || first === 'registry-1.docker.io' ? DEFAULT_DOMAIN : first.toLowerCase();
  return { index, remote: term.slice(slash + 1) };
}

/** Validates Docker's search filters and returns the predicate they make. */
export function resultFilter(filters: Record<string, string[]>): (r: SearchResult) => boolean {
  const checks: Array<(r: SearchResult) => boolean> = [];
  for (const [key, values] of Object.entries(filters)) {
    for (const value of values) {
      if (key === 'is-official' || key === 'is-automated') {
        if (value !== 'true' && value !== 'false') throw new BerthError('invalid_argument', `invalid filter '${key}=${value}'`);
        const want = value === 'true';
        checks.push(key === 'is-official' ? (r) => r.isOfficial === want : (r) => r.isAutomated === want);
      } else if (key === 'stars') {
        const stars = Number(value);
        if (!/^\d+$/.test(value) || !Number.isSafeInteger(stars)) throw new BerthError('invalid_argument', `invalid filter 'stars=${value}'`);
        checks.push((r) => r.starCount >= stars);
      } else {
        throw new BerthError('invalid_argument', `invalid filter '${key}'`);
      }
    }
  }
  return (r) => checks.every((check) => check(r));
}

function nextCatalogPage(link: string | string[] | undefined): string | undefined {
  const text = Array.isArray(link) ? link[0] : link;
  const m = text ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(text) : null;
  if (!m) return undefined;
  const url = new URL(m[1]!, 'http://registry.invalid');
  return url.pathname.endsWith('/v2/_catalog') ? `/_catalog${url.search}` : undefined;
}
