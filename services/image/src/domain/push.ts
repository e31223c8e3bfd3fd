import { Attr, invalidArgument, notFound, withSpan } from '@berth/kit';
import { ProgressQueue, Semaphore } from './progress-queue.js';
import { pushBlob, type BlobJob, type PushEmit, type PushProgress } from './push-blob.js';
import { checkAvailable, planPush } from './push-plan.js';
import type { PushRegistryDeps } from './push-registry.js';
import { canonicalString, familiarRepository, familiarString, parseReference } from './reference.js';
import type { RegistryAuth } from './registry.js';
import type { Descriptor, Platform, RefRecord } from './types.js';

export type { PushProgress } from './push-blob.js';
export type { PushRegistryDeps } from './push-registry.js';

export interface PushRequest {
  /** name[:tag]; without a tag, every tag of the repository is pushed (Docker's API). */
  reference: string;
  auth?: RegistryAuth;
  /** Push only this platform's manifest (of a multi-platform image) under the tag. */
  platform?: Platform;
}

/** Layers uploaded at the same time: dockerd's default max-concurrent-uploads. */
const CONCURRENT_UPLOADS = 5;

/**
 * Docker's push (moby distribution/push_v2.go) from berth's content store: the stored manifest is
 * pushed byte for byte, so the registry's digest is the one the image was pulled as. Layers
 * are pushed as the content store holds them (compressed as pulled; a loaded image's layers are
 * the archive's tars, pushed uncompressed as its manifest says). An image that came from a
 * multi-platform index pushes the whole index, or with `platform` one of its manifests (as
 * Docker's containerd store does; see push-plan.ts). The RepoDigest is recorded and the `push`
 * event published per tag.
 */
export class ImagePusher {
  constructor(private readonly deps: PushRegistryDeps) {}

  push(request: PushRequest, signal: AbortSignal): AsyncIterable<PushProgress> {
    const queue = new ProgressQueue<PushProgress>();
    const run = () => this.deps.locks.gc.withShared(() => this.run(request, (p) => queue.push(p), signal));
    void withSpan('image.Push', { [Attr.ImageRef]: request.reference }, run).then(
      () => queue.end(),
      (err: unknown) => queue.fail(err),
    );
    return queue;
  }

  private async run(request: PushRequest, emit: PushEmit, signal: AbortSignal): Promise<void> {
    const targets = this.targets(request.reference);
    emit({ id: '', status: `The push refers to repository [${targets[0]!.repository}]`, current: 0, total: 0 });
    for (const target of targets) await this.pushTag(target, request, emit, signal);
  }

  /** The tags to push; an unknown name is not_found before anything is sent. */
  private targets(reference: string): Array<RefRecord & { tag: string }> {
    const ref = parseReference(reference);
    if (ref.digest !== undefined) throw invalidArgument(`cannot push a digest reference: ${reference}`);
    const missing = () => notFound(`An image does not exist locally with the tag: ${familiarRepository(ref.repository)}`);
    if (ref.tag !== undefined) {
      const found = this.deps.images.ref(canonicalString(ref));
      if (!found || !this.deps.images.get(found.imageId)) throw missing();
      return [{ ...found, tag: ref.tag }];
    }
    const tagged: Array<RefRecord & { tag: string }> = [];
    for (const image of this.deps.images.list()) {
      for (const r of this.deps.images.refsOf(image.id)) if (r.repository === ref.repository && r.tag !== undefined) tagged.push({ ...r, tag: r.tag });
    }
    if (tagged.length === 0) throw missing();
    return tagged.sort((a, b) => a.tag.localeCompare(b.tag));
  }

  private async pushTag(target: RefRecord & { tag: string }, request: PushRequest, emit: PushEmit, signal: AbortSignal): Promise<void> {
    const { images, registry } = this.deps;
    const { auth, platform } = request;
    const image = images.get(target.imageId);
    if (!image) throw notFound(`An image does not exist locally with the tag: ${familiarRepository(target.repository)}`);
    const repository = target.repository;
    const plan = await planPush(this.deps, image, familiarString(target), platform);
    if (plan.fromIndex) await checkAvailable(this.deps, plan, familiarString(target), repository, (digest) => registry.blobExists(repository, digest, auth, signal));
    const mountFrom = mountCandidates(images.refsOf(image.id), repository);
    const job = (descriptor: Descriptor, id?: string): BlobJob => ({ repository, descriptor, mountFrom, ...(id !== undefined && { id }), ...(auth && { auth }) });

    // Top layer first, as Docker lists them; a layer occurring twice (or in two platforms) is pushed once.
    const jobs: BlobJob[] = [];
    const seen = new Set<string>();
    for (const m of plan.manifests) {
      for (const { descriptor, id } of [...m.layers].reverse()) {
        if (seen.has(descriptor.digest)) continue;
        seen.add(descriptor.digest);
        jobs.push(job(descriptor, id));
      }
    }
    for (const j of jobs) emit({ id: j.id!, status: 'Preparing', current: 0, total: 0 });
    await this.pushAll(jobs, emit, signal);
    for (const m of plan.manifests) {
      if (seen.has(m.config.digest)) continue;
      seen.add(m.config.digest);
      await pushBlob(this.deps, job(m.config), emit, signal);
    }
    // An index's manifests go by digest before the index names them (the registry checks).
    if (plan.index) for (const m of plan.manifests) await registry.pushManifest(repository, m.digest, m.mediaType, m.bytes, auth, signal);
    const top = plan.index ?? plan.manifests[0]!;
    const { digest } = await registry.pushManifest(repository, target.tag, top.mediaType, top.bytes, auth, signal);
    // The RepoDigest names this image only when what was pushed is its own manifest or its index.
    const byDigest = canonicalString({ repository, digest });
    if ((digest === image.manifestDigest || digest === image.index?.digest) && images.ref(byDigest)?.imageId !== image.id) {
      images.setRef({ name: byDigest, repository, digest, imageId: image.id });
    }
    emit({
      id: '',
      status: `${target.tag}: digest: ${digest} size: ${top.bytes.length}`,
      current: 0,
      total: 0,
      pushed: { tag: target.tag, digest, size: top.bytes.length },
    });
    const name = familiarString({ repository, tag: target.tag });
    await this.deps.publisher.publish({ type: 'image', action: 'push', actor: { id: name, attributes: { name } } });
  }

  /** Up to CONCURRENT_UPLOADS at once; the first failure cancels the rest. */
  private async pushAll(jobs: BlobJob[], emit: PushEmit, signal: AbortSignal): Promise<void> {
    const limit = new Semaphore(CONCURRENT_UPLOADS);
    const failed = new AbortController();
    const both = AbortSignal.any([signal, failed.signal]);
    const results = await Promise.allSettled(
      jobs.map((job) => {
        if (!limit.free) emit({ id: job.id!, status: 'Waiting', current: 0, total: 0 });
        return limit.run(async () => {
          both.throwIfAborted();
          return pushBlob(this.deps, job, emit, both).catch((err: unknown) => {
            failed.abort(err);
            throw err;
          });
        });
      }),
    );
    const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (first) throw failed.signal.reason ?? first.reason;
  }
}

/** Other repositories of the target's registry that name this image: they may have its blobs. */
function mountCandidates(refs: RefRecord[], repository: string): string[] {
  const domain = repository.slice(0, repository.indexOf('/'));
  const out = new Set<string>();
  for (const r of refs) if (r.repository !== repository && r.repository.startsWith(`${domain}/`)) out.add(r.repository);
  return [...out];
}
