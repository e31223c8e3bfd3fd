import { isNotFound, type Logger } from '@berth/kit';
import type { image } from '@berth/proto';
import type { Backends } from '../server/backends.js';
import { containerSpecFromDocker } from '../server/docker-shapes/container-spec.js';
import { parsePlatform } from '../server/routes/image-routes.js';
import type { ArchivedPath, BuildBackend, BuiltImage, HistoryStep, ImagePathInfo, RunSpec } from './build-backend.js';
import { firstTarHeader } from './layer-tar.js';
import { containerConfigOf, type ContainerConfig } from './image-config.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/**
 * The builder's backend over the services: the image service gets, pulls, commits
 * (CommitSnapshot), imports layers (ImportLayer) and tags; the runtime runs RUN containers and
 * archives paths for COPY --from (ArchiveContainerPath on a created, never started container).
 */
export class GrpcBuildBackend implements BuildBackend {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly backends: Backends,
    private readonly logger: Logger,
  ) {}

  async findImage(reference: string, signal?: AbortSignal): Promise<BuiltImage | undefined> {
    try {
      const { image } = await this.backends.images.getImage({ reference }, signal ? { signal } : {});
      return image ? builtImage(image) : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async pullImage(reference: string, platform: string, progress: (line: string) => void, signal?: AbortSignal): Promise<BuiltImage> {
    let pulled: image.Image | undefined;
    const seen = new Set<string>();
    for await (const p of this.backends.images.pullImage({ reference, platform: parsePlatform(platform) }, signal ? { signal } : {})) {
      if (p.image) pulled = p.image;
      // Byte counts are for progress bars; the build stream gets each status line once.
      const line = p.id ? `${p.id}: ${p.status}` : p.status;
      if (p.status && !/^(Downloading|Extracting)/.test(p.status) && !seen.has(line)) {
        seen.add(line);
        progress(line);
      }
    }
    if (!pulled) throw new Error(`pull of ${reference} ended without an image`);
    return builtImage(pulled);
  }

  async runContainer(spec: RunSpec, io: { created(id: string): void; output(chunk: string): void }, signal?: AbortSignal): Promise<number> {
    const { containers } = this.backends;
    const created = await containers.createContainer({
      name: '',
      spec: containerSpecFromDocker({
        Image: spec.image,
        Cmd: spec.argv,
        Entrypoint: [],
        Env: spec.env,
        User: spec.user,
        WorkingDir: spec.workingDir,
        Labels: { 'berth.build': 'run' },
        HostConfig: { NetworkMode: spec.networkMode },
      }),
    });
    const id = created.container!.id;
    io.created(id);
    await containers.startContainer({ id });
    const opts = signal ? { signal } : {};
    for await (const entry of containers.containerLogs({ id, follow: true, stdout: true, stderr: true, since: '', until: '', tail: 'all' }, opts)) {
      io.output(Buffer.from(entry.data).toString('utf8'));
    }
    const waited = await containers.waitContainer({ id, condition: 'not-running' }, opts);
    return waited.exitCode;
  }

  async commitContainer(containerId: string, parent: string, config: ContainerConfig, history: HistoryStep): Promise<BuiltImage> {
    const { image } = await this.backends.images.commitSnapshot({ key: containerId, parent, config: overrides(config), history: historyStep(history), tags: [] });
    return builtImage(image!);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.backends.containers.removeContainer({ id: containerId, force: true, removeVolumes: true });
  }

  async commitConfig(parent: string | undefined, config: ContainerConfig, history: HistoryStep, platform: string): Promise<BuiltImage> {
    // ImportLayer with no layer: the image is the parent's plus config and history. No snapshot
    // to prepare or diff, and it works on FROM scratch, where there is none to commit.
    const header = { parent: parent ?? '', config: overrides(config), history: historyStep(history), tags: [], platform: parsePlatform(platform), noLayer: true };
    async function* requests(): AsyncGenerator<image.ImportLayerRequest> {
      yield { header };
    }
    const { image } = await this.backends.images.importLayer(requests());
    return builtImage(image!);
  }

  async importLayer(parent: string | undefined, config: ContainerConfig, history: HistoryStep, tar: AsyncIterable<Uint8Array>, platform: string): Promise<BuiltImage> {
    async function* requests(): AsyncGenerator<image.ImportLayerRequest> {
      yield { header: { parent: parent ?? '', config: overrides(config), history: historyStep(history), tags: [], platform: parsePlatform(platform), noLayer: false } };
      for await (const data of tar) yield { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
    }
    const { image } = await this.backends.images.importLayer(requests());
    return builtImage(image!);
  }

  async statPaths(imageRef: string, paths: readonly string[], signal?: AbortSignal): Promise<Map<string, ImagePathInfo | undefined>> {
    const out = new Map<string, ImagePathInfo | undefined>();
    if (paths.length === 0) return out;
    const { id, remove } = await this.readerContainer(imageRef, 'stat');
    try {
      await Promise.all(paths.map(async (p) => out.set(p, await this.pathInfo(id, p, signal))));
      return out;
    } finally {
      this.later(remove());
    }
  }

  /**
   * One path: the stat of ArchiveContainerPath for its kind and mode, the first tar header for
   * its owner (StatContainerPath has none); the archive is cancelled after that header.
   */
  private async pathInfo(id: string, path: string, signal?: AbortSignal): Promise<ImagePathInfo | undefined> {
    const cancel = new AbortController();
    const onAbort = () => cancel.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const it = this.backends.containers.archiveContainerPath({ id, path }, { signal: cancel.signal })[Symbol.asyncIterator]();
      let first: IteratorResult<{ stat?: { mode: number; linkTarget: string } | undefined; data: Uint8Array }>;
      try {
        first = await it.next();
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      const stat = first.done ? undefined : first.value.stat;
      if (!stat) return undefined;
      const fmt = stat.mode & S_IFMT;
      const type = fmt === S_IFDIR ? 'directory' : fmt === S_IFLNK ? 'symlink' : 'other';
      async function* data(): AsyncGenerator<Uint8Array> {
        if (!first.done && first.value.data.length > 0) yield first.value.data;
        for (let n = await it.next(); !n.done; n = await it.next()) if (n.value.data.length > 0) yield n.value.data;
      }
      const h = await firstTarHeader(data());
      const info: ImagePathInfo = { type, mode: (h?.mode ?? stat.mode) & 0o7777, uid: h?.uid ?? 0, gid: h?.gid ?? 0, mtime: h?.mtime ?? new Date(0) };
      return type === 'symlink' ? { ...info, linkTarget: stat.linkTarget } : info;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      cancel.abort();
    }
  }

  /** A container that is never started: only its root filesystem is read. */
  private async readerContainer(imageRef: string, purpose: string): Promise<{ id: string; remove: () => Promise<void> }> {
    const { containers } = this.backends;
    const created = await containers.createContainer({
      name: '',
      spec: containerSpecFromDocker({ Image: imageRef, Cmd: ['/berth-build-copy'], Entrypoint: [], Labels: { 'berth.build': purpose }, HostConfig: { NetworkMode: 'none' } }),
    });
    const id = created.container!.id;
    const remove = () =>
      containers
        .removeContainer({ id, force: true, removeVolumes: true })
        .then(() => undefined)
        .catch((err: unknown) => this.logger.warn({ err, id }, `build: removing a ${purpose} container failed`));
    return { id, remove };
  }

  async archivePath(imageRef: string, path: string, signal?: AbortSignal): Promise<ArchivedPath> {
    const { containers } = this.backends;
    const { id, remove } = await this.readerContainer(imageRef, 'copy-from');
    try {
      const it = containers.archiveContainerPath({ id, path }, signal ? { signal } : {})[Symbol.asyncIterator]();
      const first = await it.next();
      const stat = first.done ? undefined : first.value.stat;
      if (!stat) throw new Error(`archive of ${path} began without its stat`);
      async function* tar(): AsyncGenerator<Uint8Array> {
        try {
          if (!first.done && first.value.data.length > 0) yield first.value.data;
          for (let n = await it.next(); !n.done; n = await it.next()) if (n.value.data.length > 0) yield n.value.data;
        } finally {
          await remove();
        }
      }
      return { isDirectory: (stat.mode & S_IFMT) === S_IFDIR, name: stat.name, tar: tar() };
    } catch (err) {
      await remove();
      throw err;
    }
  }

  async tagImage(imageId: string, tag: string): Promise<void> {
    await this.backends.images.tagImage({ source: imageId, target: tag });
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Clean-up off the critical path: logged if it fails, awaited by `drain`. */
  private later(work: Promise<void>): void {
    const p = work.catch((err: unknown) => this.logger.warn({ err }, 'build: a clean-up step failed')).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}

function builtImage(i: image.Image): BuiltImage {
  const doc = JSON.parse(Buffer.from(i.config).toString('utf8')) as { config?: unknown };
  return { id: i.id, config: containerConfigOf(doc.config) };
}

function historyStep(h: HistoryStep): image.HistoryStep {
  return { createdBy: h.createdBy, comment: h.comment ?? '', author: h.author ?? '', created: '' };
}

/** The whole working config as overrides: every field set (empty ones clear the parent's). */
export function overrides(c: ContainerConfig): image.ImageConfigOverrides {
  const list = (v: string[] | null | undefined) => ({ values: v ?? [] });
  const hc = c.Healthcheck;
  return {
    cmd: list(c.Cmd),
    entrypoint: list(c.Entrypoint),
    env: list(c.Env),
    user: c.User ?? '',
    workingDir: c.WorkingDir ?? '',
    exposedPorts: list(Object.keys(c.ExposedPorts ?? {})),
    labels: { values: { ...(c.Labels ?? {}) } },
    volumes: list(Object.keys(c.Volumes ?? {})),
    stopSignal: c.StopSignal ?? '',
    shell: list(c.Shell),
    onBuild: list(c.OnBuild),
    healthcheck: hc
      ? { test: hc.Test, intervalNs: hc.Interval ?? 0, timeoutNs: hc.Timeout ?? 0, startPeriodNs: hc.StartPeriod ?? 0, startIntervalNs: hc.StartInterval ?? 0, retries: hc.Retries ?? 0 }
      : { test: [], intervalNs: 0, timeoutNs: 0, startPeriodNs: 0, startIntervalNs: 0, retries: 0 },
  };
}
