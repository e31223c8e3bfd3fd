import { BerthError } from '@berth/kit';
import type { types } from '@berth/proto';

/**
 * X-Registry-Auth: base64url (padding optional; some clients send standard base64) of a JSON
 * AuthConfig `{username, password, auth, serveraddress, identitytoken, registrytoken}`. `auth` is
 * base64 "user:password", used when username/password are absent. An empty header means anonymous.
 */
export function decodeRegistryAuth(header: string | string[] | undefined): types.RegistryAuth | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined || raw.trim() === '') return undefined;
  let config: Record<string, unknown>;
  try {
    const json = Buffer.from(raw.trim().replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    config = JSON.parse(json) as Record<string, unknown>;
    if (config === null || typeof config !== 'object') throw new Error('not an object');
  } catch (err) {
    throw new BerthError('invalid_argument', 'invalid X-Registry-Auth header: expected base64url-encoded JSON', {
      cause: err,
    });
  }
  const str = (key: string): string => (typeof config[key] === 'string' ? (config[key] as string) : '');
  let username = str('username');
  let password = str('password');
  if (username === '' && password === '' && str('auth') !== '') {
    const decoded = Buffer.from(str('auth'), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  const auth: types.RegistryAuth = {
    username,
    password,
    identityToken: str('identitytoken'),
    registryToken: str('registrytoken'),
    serverAddress: str('serveraddress'),
  };
  const empty = Object.values(auth).every((v) => v === '');
  return empty ? undefined : auth;
}
