import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { BerthError } from '@berth/kit';
import type { image, runtime } from '@berth/proto';
import type { Backends } from '../backends.js';
import { errorReply } from '../error-status.js';
import { queryBool, readJson, sendJson } from '../http-io.js';
import type { RouteContext, Router } from '../router.js';
import { applyChanges, mergeCommitConfig } from '../docker-shapes/change-instructions.js';
import { effectiveConfig } from '../docker-shapes/effective-config.js';
import { parseImageConfig, type OciRuntimeConfig } from '../docker-shapes/image-config.js';
import { pullError } from '../docker-shapes/pull-messages.js';
import type { RouteDeps } from './route-deps.js';

/** `docker commit`: POST /commit. (`docker import` is /images/create?fromSrc=…: `importImage`.) */
export function imageCommitRoutes(router: Router, { backends }: RouteDeps): void {
  const { images, containers } = backends;

  router.post('/commit', 'image.Commit', async ({ req, res, query, signal }) => {
    const name = query.get('container') ?? '';
    if (name === '') throw new BerthError('invalid_argument', 'container is required');
    const body = (await readJson(req)) as OciRuntimeConfig | null | undefined;
    const tags = tagsOf(query);
    const { container } = await containers.getContainer({ id: name }, { signal });
    if (!container) throw new BerthError('not_found', `No such container: ${name}`);
    const imageConfig = parseImageConfig(container.imageConfig).config ?? {};
    const current = containerConfig(container.spec, imageConfig);
    const changed = applyChanges(body ?? {}, query.getAll('changes'));
    const merged = mergeCommitConfig(changed.config, current);
    const request: image.CommitSnapshotRequest = {
      key: container.id,
      parent: container.imageId,
      config: overrides(merged),
      history: { createdBy: (current.Cmd ?? []).join(' '), comment: query.get('comment') ?? '', author: query.get('author') ?? '', created: '' },
      tags,
    };
    // Docker pauses by default (`pause` absent means true) so the snapshot is read at rest.
    const pause = (query.get('pause') === null || queryBool(query, 'pause')) && container.state?.running === true && !container.state.paused;
    if (pause) await containers.pauseContainer({ id: container.id }, { signal });
    let made: image.Image | undefined;
    try {
      made = (await images.commitSnapshot(request, { signal })).image;
    } finally {
      // Unpaused before the answer, even when the commit failed: the client sees it running again.
      if (pause) await containers.unpauseContainer({ id: container.id });
    }
    sendJson(res, 201, { Id: made?.id ?? '' });
  });
}

/**
 * `docker import`: the body (fromSrc=-) or a URL on loopback, one layer tar, no parent. Docker's
 * JSON progress stream answers; its last line is `{"status":"sha256:…"}`.
 */
export async function importImage({ req, res, query, signal }: RouteContext, backends: Backends): Promise<void> {
  const src = query.get('fromSrc') ?? '';
  if (src === '') throw new BerthError('invalid_argument', 'fromSrc is required');
  const changed = applyChanges({}, query.getAll('changes')).config;
  const header: image.ImportLayerHeader = {
    parent: '',
    config: overrides(changed, false),
    history: { createdBy: '', comment: query.get('message') || `Imported from ${src}`, author: '', created: '' },
    tags: tagsOf(query),
    platform: parsePlatform(query.get('platform')),
    noLayer: false,
  };
  const progress: string[] = [];
  let source: AsyncIterable<Buffer> = req as AsyncIterable<Buffer>;
  if (src !== '-') {
    source = await fetchLoopback(src, signal);
    progress.push(JSON.stringify({ status: 'Downloading from ' + src }));
  }
  async function* messages(): AsyncGenerator<image.ImportLayerRequest> {
    yield { header };
    for await (const chunk of source) yield { data: chunk };
  }
  const running = backends.images.importLayer(messages(), { signal });
  if (src === '-') {
    // Errors before any byte of the answer (a refused tar) are plain HTTP errors.
    const { image: made } = await running;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status: made?.id ?? '' }) + '\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  for (const p of progress) res.write(p + '\n');
  try {
    const { image: made } = await running;
    res.write(JSON.stringify({ status: made?.id ?? '' }) + '\n');
  } catch (err) {
    if (!signal.aborted) res.write(JSON.stringify(pullError(errorReply(err).message)) + '\n');
  }
  res.end();
}

/** "linux/arm64/v8" → Platform; empty means the host's (image-routes' parsePlatform, without the import cycle). */
function parsePlatform(raw: string | null): { os: string; architecture: string; variant: string } {
  if (raw === null || raw === '') return { os: '', architecture: '', variant: '' };
  const [os = '', architecture = '', variant = '', ...extra] = raw.split('/');
  if (os === '' || extra.length > 0) throw new BerthError('invalid_argument', `invalid platform: ${raw}`);
  return { os, architecture, variant };
}

/** `repo` and `tag` → "repo:tag" (tag "latest" by default); none without a repo. */
function tagsOf(query: URLSearchParams): string[] {
  const repo = query.get('repo') ?? '';
  if (repo === '') return [];
  const tag = query.get('tag') ?? '';
  return [tag === '' ? repo : `${repo}:${tag}`];
}

/** The container's Config as Docker shows it (its settings merged with its image's). */
function containerConfig(spec: runtime.ContainerSpec | undefined, imageConfig: OciRuntimeConfig): OciRuntimeConfig {
  if (!spec) return imageConfig;
  const e = effectiveConfig(spec, imageConfig);
  return {
    ...imageConfig,
    User: e.user,
    Env: e.env,
    Cmd: e.cmd,
    Entrypoint: e.entrypoint,
    WorkingDir: e.workingDir,
    Labels: e.labels,
    ExposedPorts: Object.fromEntries(e.exposedPorts.map((p) => [p, {}])),
    StopSignal: e.stopSignal,
    Volumes: e.volumes,
  };
}

/** A Docker Config → the image service's overrides; `all`: every field set (commit replaces the whole config). */
function overrides(c: OciRuntimeConfig, all = true): image.ImageConfigOverrides {
  const list = (v: string[] | null | undefined) => (v === undefined && !all ? undefined : { values: v ?? [] });
  const keys = (v: Record<string, object> | null | undefined) => (v === undefined && !all ? undefined : { values: Object.keys(v ?? {}) });
  const str = (v: string | undefined) => (v === undefined && !all ? undefined : (v ?? ''));
  const o: image.ImageConfigOverrides = {};
  const set = <K extends keyof image.ImageConfigOverrides>(k: K, v: image.ImageConfigOverrides[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('cmd', list(c.Cmd));
  set('entrypoint', list(c.Entrypoint));
  set('env', list(c.Env));
  set('user', str(c.User));
  set('workingDir', str(c.WorkingDir));
  set('exposedPorts', keys(c.ExposedPorts));
  set('labels', c.Labels === undefined && !all ? undefined : { values: { ...(c.Labels ?? {}) } });
  set('volumes', keys(c.Volumes));
  set('stopSignal', str(c.StopSignal));
  if (c.OnBuild) o.onBuild = { values: c.OnBuild };
  if (c.Shell) o.shell = { values: c.Shell };
  return o;
}

/**
 * An import URL: http(s) to a loopback address only (berth sends traffic to loopback and its own
 * namespaces, nowhere else; DNS names other than localhost are refused, so no lookup can point
 * the request elsewhere). Redirects are not followed.
 */
function fetchLoopback(raw: string, signal: AbortSignal): Promise<IncomingMessage> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BerthError('invalid_argument', `fromSrc is neither "-" nor a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BerthError('invalid_argument', `unsupported URL scheme ${url.protocol} in ${raw}: http and https only`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const address = host === 'localhost' ? '127.0.0.1' : host;
  const loopback = (isIP(address) === 4 && address.startsWith('127.')) || (isIP(address) === 6 && address === '::1');
  if (!loopback) throw new BerthError('permission_denied', `importing from ${url.host} is refused: berth imports only from loopback URLs (127.0.0.0/8, ::1, localhost)`);
  const target = new URL(url);
  target.hostname = isIP(address) === 6 ? `[${address}]` : address; // no name lookup
  return new Promise((resolve, reject) => {
    const get = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const r = get(target, { method: 'GET', signal }, (res) => {
      if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) return resolve(res);
      res.resume();
      reject(new BerthError('invalid_argument', `fetching ${raw}: HTTP ${res.statusCode}`));
    });
    r.on('error', (err) => reject(new BerthError('unavailable', `fetching ${raw}: ${err.message}`, { cause: err })));
    r.end();
  });
}
