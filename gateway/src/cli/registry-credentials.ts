import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError } from './errors.js';

/** Docker Hub's key in `auths` (the docker CLI's IndexServer). */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const HUB_HOSTS = new Set(['', 'docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** Credentials for one registry, as `auths` holds them. */
export interface StoredCredentials {
  username: string;
  password: string;
  /** An OAuth refresh token a token server handed out at login: used instead of the password. */
  identityToken?: string;
}

/** `$DOCKER_CONFIG`, else `~/.docker` (the docker CLI's rule, so both CLIs share one file). */
export function dockerConfigDir(env: Record<string, string | undefined>): string {
  if (env['DOCKER_CONFIG']) return env['DOCKER_CONFIG'];
  return path.join(env['HOME'] || os.homedir(), '.docker');
}

/**
 * The key a registry's entry has in `auths`: Docker Hub's URL for docker.io, else the bare
 * host[:port] ("http://127.0.0.1:5000/v2/" and "127.0.0.1:5000" are the same registry).
 */
export function registryKey(server: string): string {
  let host = server.trim().replace(/^[a-z]+:\/\//i, '');
  host = host.split('/')[0]!.toLowerCase();
  return HUB_HOSTS.has(host) ? DOCKER_HUB_KEY : host;
}

type ConfigJson = Record<string, unknown> & { auths?: Record<string, Record<string, unknown>> };

/**
 * The `auths` part of the docker CLI's config.json: `{"auths": {"<key>": {"auth": base64("user:password"),
 * "identitytoken"?}}}`. Other keys of the file are kept as they are. The file is written 0600 by
 * a rename, so it never exists half-written or readable by others. Credential helpers
 * (`credsStore`, `credHelpers`) are not used: berth writes the file.
 */
export class DockerConfigFile {
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = path.join(dir, 'config.json');
  }

  async get(server: string): Promise<StoredCredentials | undefined> {
    const key = registryKey(server);
    const auths = (await this.read()).auths ?? {};
    for (const [k, entry] of Object.entries(auths)) {
      if (registryKey(k) !== key || entry === null || typeof entry !== 'object') continue;
      return decodeEntry(entry, this.path);
    }
    return undefined;
  }

  async store(server: string, creds: StoredCredentials): Promise<void> {
    const config = await this.read();
    const key = registryKey(server);
    const auths = dropKey(config.auths ?? {}, key);
    const auth = Buffer.from(`${creds.username}:${creds.identityToken ? '' : creds.password}`).toString('base64');
    auths[key] = { auth, ...(creds.identityToken && { identitytoken: creds.identityToken }) };
    await this.write({ ...config, auths });
  }

  /** Removes the registry's entry; false when there was none. */
  async erase(server: string): Promise<boolean> {
    const config = await this.read();
    const before = config.auths ?? {};
    const after = dropKey(before, registryKey(server));
    if (Object.keys(after).length === Object.keys(before).length) return false;
    await this.write({ ...config, auths: after });
    return true;
  }

  private async read(): Promise<ConfigJson> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    if (text.trim() === '') return {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
      return parsed as ConfigJson;
    } catch (err) {
      throw new CliError(`${this.path}: invalid config file: ${(err as Error).message}`);
    }
  }

  private async write(config: ConfigJson): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(this.dir, `.config.json.${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(tmp, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600, flag: 'wx' });
      await chmod(tmp, 0o600);
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

function dropKey(auths: Record<string, Record<string, unknown>>, key: string): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(auths).filter(([k]) => registryKey(k) !== key));
}

function decodeEntry(entry: Record<string, unknown>, file: string): StoredCredentials | undefined {
  const identityToken = typeof entry['identitytoken'] === 'string' ? entry['identitytoken'] : '';
  let username = typeof entry['username'] === 'string' ? entry['username'] : '';
  let password = typeof entry['password'] === 'string' ? entry['password'] : '';
  if (typeof entry['auth'] === 'string' && entry['auth'] !== '') {
    const decoded = Buffer.from(entry['auth'], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new CliError(`${file}: invalid auth entry (expected base64 of "username:password")`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (username === '' && identityToken === '') return undefined;
  return { username, password, ...(identityToken && { identityToken }) };
}

/**
 * The X-Registry-Auth header for a registry (base64url JSON, Docker's AuthConfig), or undefined
 * when no credentials are stored for it (anonymous).
 */
export function registryAuthHeader(creds: StoredCredentials | undefined, server: string): string | undefined {
  if (!creds) return undefined;
  const body = creds.identityToken
    ? { username: creds.username, identitytoken: creds.identityToken, serveraddress: server }
    : { username: creds.username, password: creds.password, serveraddress: server };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** The header for an image reference's registry ("127.0.0.1:5000/app" → 127.0.0.1:5000's entry). */
export async function authHeaderFor(env: Record<string, string | undefined>, domain: string): Promise<Record<string, string>> {
  const file = new DockerConfigFile(dockerConfigDir(env));
  const server = registryKey(domain);
  const header = registryAuthHeader(await file.get(server), server);
  return header ? { 'X-Registry-Auth': header } : {};
}
