import { randomBytes } from 'node:crypto';
import { isNotFound, type Logger } from '@berth/kit';
import type { image } from '@berth/proto';
import type { Backends } from '../server/backends.js';
import { containerSpecFromDocker } from '../server/docker-shapes/container-spec.js';
import { parsePlatform } from '../server/routes/image-routes.js';
import type { ArchivedPath, BuildBackend, BuiltImage, HistoryStep, RunSpec } from './build-backend.js';
import { containerConfigOf, type ContainerConfig } from './image-config.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/**
 * The builder's backend over the services: the image service gets, pulls, commits
 * (CommitSnapshot), imports layers (ImportLayer) and tags; the runtime runs RUN containers and
 * archives paths for COPY --from (ArchiveContainerPath on a created, never started container).
 */
export class GrpcBuildBackend implements BuildBackend {
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

  async commitConfig(parent: string, config: ContainerConfig, history: HistoryStep): Promise<BuiltImage> {
    // An unchanged snapshot commits as an image with no new layer (`empty_layer`).
    const key = `build-${randomBytes(16).toString('hex')}`;
    const { images } = this.backends;
    await images.prepareSnapshot({ key, image: parent });
    try {
      const { image } = await images.commitSnapshot({ key, parent, config: overrides(config), history: historyStep(history), tags: [] });
      return builtImage(image!);
    } finally {
      await images.removeSnapshot({ key });
    }
  }

  async importLayer(parent: string | undefined, config: ContainerConfig, history: HistoryStep, tar: AsyncIterable<Uint8Array>, platform: string): Promise<BuiltImage> {
    async function* requests(): AsyncGenerator<image.ImportLayerRequest> {
      yield { header: { parent: parent ?? '', config: overrides(config), history: historyStep(history), tags: [], platform: parsePlatform(platform) } };
      for await (const data of tar) yield { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
    }
    const { image } = await this.backends.images.importLayer(requests());
    return builtImage(image!);
  }

  async archivePath(imageRef: string, path: string, signal?: AbortSignal): Promise<ArchivedPath> {
    const { containers } = this.backends;
    // A container that is never started: only its root filesystem is read.
    const created = await containers.createContainer({
      name: '',
      spec: containerSpecFromDocker({ Image: imageRef, Cmd: ['/berth-build-copy'], Entrypoint: [], Labels: { 'berth.build': 'copy-from' }, HostConfig: { NetworkMode: 'none' } }),
    });
    const id = created.container!.id;
    const remove = () =>
      containers.removeContainer({ id, force: true, removeVolumes: true }).catch((err: unknown) => this.logger.warn({ err, id }, 'build: removing a copy-from container failed'));
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
