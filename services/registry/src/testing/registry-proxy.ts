import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Test-only: answers a request itself (returns true) or lets the proxy forward it (false). */
export type Intercept = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface RegistryProxy {
  /** "127.0.0.1:PORT" */
  host: string;
  /** Every request seen, "METHOD /path". */
  seen: string[];
  close(): Promise<void>;
}

/**
 * Test-only: a loopback HTTP server in front of a real registry. It forwards everything the
 * intercept does not answer, so the content still comes from the real registry; the intercept
 * adds what the fixture registry cannot do (token auth, 503s, rate limits).
 */
export async function startRegistryProxy(upstreamHost: string, intercept: Intercept = () => false): Promise<RegistryProxy> {
  const seen: string[] = [];
  let host = '';
  const [upHost, upPort] = upstreamHost.split(':') as [string, string];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    void (async () => {
      if (await intercept(req, res)) return;
      const { authorization: _auth, ...headers } = req.headers;
      // Upload URLs the registry hands out point back at this proxy, so uploads pass through it too.
      const forwarded = { 'x-forwarded-host': host, 'x-forwarded-proto': 'http' };
      const out = http.request({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: { ...headers, ...forwarded, host: upstreamHost } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.once('error', () => res.destroy());
      req.pipe(out);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TokenAuthOptions {
  /** Credentials the token endpoint demands (Basic); anonymous tokens when absent. */
  user?: string;
  password?: string;
  /** Answer with `access_token` instead of `token`. */
  accessTokenField?: boolean;
}

export interface TokenAuthProxy extends RegistryProxy {
  /** Token requests served, with their query strings. */
  tokenRequests: URLSearchParams[];
}

/**
 * Test-only: Docker's token auth in front of a real registry. `/token` issues tokens for the
 * asked scopes; `/v2/...` needs `Bearer <token>` whose scopes cover the repository, else 401
 * with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`.
 */
export async function startTokenAuthProxy(upstreamHost: string, opts: TokenAuthOptions = {}): Promise<TokenAuthProxy> {
  const tokens = new Map<string, string[]>();
  const tokenRequests: URLSearchParams[] = [];
  let realm = '';
  const proxy = await startRegistryProxy(upstreamHost, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (url.pathname === '/token') {
      tokenRequests.push(url.searchParams);
      const expected = opts.user ? `Basic ${Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64')}` : undefined;
      if (url.searchParams.get('service') !== 'berth-test' || (expected && req.headers.authorization !== expected)) {
        json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] });
        return true;
      }
      const token = randomBytes(12).toString('hex');
      tokens.set(token, url.searchParams.getAll('scope'));
      const field = opts.accessTokenField ? 'access_token' : 'token';
      json(res, 200, { [field]: token, expires_in: 300, issued_at: new Date().toISOString() });
      return true;
    }
    const repo = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(url.pathname)?.[1];
    const action = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push';
    const scope = repo ? `repository:${repo}:${action === 'pull' ? 'pull' : 'pull,push'}` : undefined;
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const granted = given ? tokens.get(given) : undefined;
    const covers = (g: string) => g.startsWith(`repository:${repo}:`) && g.slice(`repository:${repo}:`.length).split(',').includes(action);
    if (granted && (!scope || granted.some(covers))) return false;
    res.setHeader('www-authenticate', `Bearer realm="${realm}",service="berth-test"${scope ? `,scope="${scope}"` : ''}`);
    json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
    return true;
  });
  realm = `http://${proxy.host}/token`;
  return { ...proxy, tokenRequests };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
  res.end(bytes);
}
