import { BerthError, errorKind } from '@berth/kit';
import type { types } from '@berth/proto';
import type { Router } from '../router.js';
import { readJson, sendJson } from '../http-io.js';
import type { RouteDeps } from './route-deps.js';

/**
 * `POST /auth` (docker login): the registry service checks the credentials against the registry
 * (Basic, or a token from the Bearer realm, never a mirror). Bad credentials are a 401 with the
 * registry's words; an identity token the token server handed out is returned for the client to
 * store instead of the password. Nothing is stored here: credentials live in the client's config.
 */
export function authRoutes(router: Router, { backends }: RouteDeps): void {
  router.post('/auth', 'system.Auth', async ({ req, res, signal }) => {
    const auth = authConfigFromBody(await readJson(req));
    try {
      const answer = await backends.registry.login({ auth }, { signal });
      sendJson(res, 200, { Status: answer.status || 'Login Succeeded', ...(answer.identityToken && { IdentityToken: answer.identityToken }) });
    } catch (err) {
      if (errorKind(err) === 'permission_denied') throw new BerthError('unauthenticated', (err as Error).message, { cause: err });
      throw err;
    }
  });
}

/** Docker's AuthConfig body; `auth` (base64 "user:password") stands in for absent username/password. */
export function authConfigFromBody(body: unknown): types.RegistryAuth {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BerthError('invalid_argument', 'login: expected a JSON object {username, password, serveraddress}');
  }
  const config = body as Record<string, unknown>;
  const str = (key: string): string => {
    const v = config[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new BerthError('invalid_argument', `login: ${key} must be a string`);
    return v;
  };
  let username = str('username');
  let password = str('password');
  if (username === '' && password === '' && str('auth') !== '') {
    const decoded = Buffer.from(str('auth'), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new BerthError('invalid_argument', 'login: auth must be base64 of "username:password"');
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (username === '' && str('identitytoken') === '' && str('registrytoken') === '') {
    throw new BerthError('invalid_argument', 'login: a username (or an identity token) is required');
  }
  return { username, password, identityToken: str('identitytoken'), registryToken: str('registrytoken'), serverAddress: str('serveraddress') };
}
