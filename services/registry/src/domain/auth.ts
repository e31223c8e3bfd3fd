import { createHash } from 'node:crypto';
import { BerthError } from '@berth/kit';
import type { Challenge } from './challenge.js';
import { parseChallenges } from './challenge.js';
import { readBody, type HttpResponse } from './http.js';
import { registryErrorMessage } from './registry-errors.js';

/** Credentials as the Engine API's X-Registry-Auth carries them (all optional). */
export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth refresh token from an earlier login. */
  identityToken?: string;
  /** A bearer token to send to the registry as is. */
  registryToken?: string;
}

/** How the authorizer reaches a token server: one request, no auth of the registry's own. */
export type TokenFetch = (url: URL, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: Buffer }) => Promise<HttpResponse>;

interface CachedToken {
  token: string;
  expiresAt: number;
  refreshToken?: string;
}

const MIN_TOKEN_LIFETIME_S = 60;
const MAX_TOKEN_BYTES = 1024 * 1024;
const CLIENT_ID = 'berth';
const MAX_CACHED_TOKENS = 1000;

/**
 * Registry authorization (Docker's token spec): remembers each endpoint's challenge, answers
 * Basic challenges with the credentials, and Bearer challenges with a token from the realm,
 * cached per endpoint, scope set and credentials until it expires.
 */
export class Authorizer {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly fetchToken: TokenFetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the challenge of a 401; returns whether it is one berth can answer. */
  noteChallenge(endpoint: string, header: string | string[] | undefined): boolean {
    const all = parseChallenges(header);
    const usable = all.find((c) => c.scheme === 'bearer' && c.params.realm) ?? all.find((c) => c.scheme === 'basic');
    if (usable) this.challenges.set(endpoint, usable);
    return usable !== undefined;
  }

  /** Forgets cached tokens for this endpoint and scopes (after the registry refused one). */
  invalidate(endpoint: string, scopes: string[], creds?: Credentials): void {
    const challenge = this.challenges.get(endpoint);
    if (challenge) this.tokens.delete(this.tokenKey(endpoint, challenge, scopes, creds));
  }

  /** The Authorization header for a request to `endpoint`, or undefined to go anonymous. */
  async authorization(endpoint: string, scopes: string[], creds?: Credentials): Promise<string | undefined> {
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const challenge = this.challenges.get(endpoint);
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') return basicHeader(creds);
    const key = this.tokenKey(endpoint, challenge, scopes, creds);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.now()) return `Bearer ${cached.token}`;
    const token = await this.requestToken(challenge, mergeScopes(challenge, scopes), creds, false);
    if (this.tokens.size >= MAX_CACHED_TOKENS) this.prune();
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  /**
   * Docker's login check for a Bearer registry: a token for no scope with the credentials;
   * returns the refresh token (identity token) when the server hands one out.
   */
  async login(endpoint: string, creds: Credentials): Promise<{ identityToken: string }> {
    const challenge = this.challenges.get(endpoint);
    if (!challenge || challenge.scheme !== 'bearer') return { identityToken: '' };
    const token = await this.requestToken(challenge, [], creds, true);
    return { identityToken: token.refreshToken ?? '' };
  }

  /** Drops expired tokens, and the oldest ones if that is not enough (a long-lived service sees many repositories). */
  private prune(): void {
    const now = this.now();
    for (const [key, token] of this.tokens) if (token.expiresAt <= now) this.tokens.delete(key);
    for (const key of this.tokens.keys()) {
      if (this.tokens.size < MAX_CACHED_TOKENS / 2) break;
      this.tokens.delete(key);
    }
  }

  private tokenKey(endpoint: string, challenge: Challenge, scopes: string[], creds?: Credentials): string {
    const who = creds?.username || creds?.identityToken
      ? createHash('sha256').update(`${creds.username ?? ''}\0${creds.password ?? ''}\0${creds.identityToken ?? ''}`).digest('hex')
      : 'anonymous';
    return [endpoint, challenge.params.realm, challenge.params.service ?? '', mergeScopes(challenge, scopes).join(' '), who].join('|');
  }

  private async requestToken(challenge: Challenge, scopes: string[], creds: Credentials | undefined, offline: boolean): Promise<CachedToken> {
    const realm = new URL(challenge.params.realm!);
    const service = challenge.params.service;
    let res: HttpResponse;
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: CLIENT_ID });
      if (service) form.set('service', service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      res = await this.fetchToken(realm, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
      });
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set('service', service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const headers: Record<string, string> = {};
      const basic = basicHeader(creds);
      if (basic) {
        headers.authorization = basic;
        url.searchParams.set('account', creds!.username!);
        if (offline) url.searchParams.set('offline_token', 'true');
        if (offline) url.searchParams.set('client_id', CLIENT_ID);
      }
      res = await this.fetchToken(url, { method: 'GET', headers });
    }
    const body = await readBody(res, MAX_TOKEN_BYTES, `token from ${realm.origin}`);
    if (res.status !== 200) {
      const kind = res.status === 401 || res.status === 403 ? 'permission_denied' : res.status >= 500 ? 'unavailable' : 'permission_denied';
      throw new BerthError(kind, `token from ${realm.origin}${realm.pathname}: ${registryErrorMessage(res.status, body)}`);
    }
    return this.parseToken(body, realm);
  }

  private parseToken(body: Buffer, realm: URL): CachedToken {
    let json: { token?: string; access_token?: string; expires_in?: number; issued_at?: string; refresh_token?: string };
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new BerthError('unavailable', `token from ${realm.origin}: invalid JSON`, { cause: err });
    }
    const token = json.access_token || json.token;
    if (!token) throw new BerthError('unavailable', `token from ${realm.origin}: no token in response`);
    const lifetime = Math.max(Number(json.expires_in) || 0, MIN_TOKEN_LIFETIME_S);
    const issued = json.issued_at ? Date.parse(json.issued_at) : NaN;
    const start = Number.isFinite(issued) && issued <= this.now() ? issued : this.now();
    // Renew a little early so a token never expires between the check and the request.
    const expiresAt = start + lifetime * 1000 - 5_000;
    return { token, expiresAt, ...(json.refresh_token && { refreshToken: json.refresh_token }) };
  }
}

function basicHeader(creds?: Credentials): string | undefined {
  if (!creds?.username) return undefined;
  return `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
}

/**
 * The scopes to ask for: the request's own (a challenge's scope belongs to the request that got
 * it, not to the next one), or the challenge's when the request has none.
 */
function mergeScopes(challenge: Challenge, scopes: string[]): string[] {
  const chosen = scopes.length > 0 ? scopes : (challenge.params.scope ?? '').split(' ').filter(Boolean);
  return [...new Set(chosen)].sort();
}
