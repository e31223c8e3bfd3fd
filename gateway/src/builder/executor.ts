import { BerthError, goArch, invalidArgument } from '@berth/kit';
import type { CopyInstruction, Dockerfile, FromInstruction, Instruction, Stage } from './dockerfile/instructions.js';
import { processWord, processWords } from './dockerfile/shell-lex.js';
import type { BuildBackend, BuiltImage, HistoryStep } from './build-backend.js';
import { BuildArgs } from './build-args.js';
import { BuildCache, cacheKey } from './build-cache.js';
import { containerConfigOf, resolveWorkdir, type ContainerConfig } from './image-config.js';
import { configStep, runCommand, vars, type StageState } from './stage-steps.js';
import { copyLayer } from './copy-step.js';
import { ImagePaths } from './image-paths.js';

export interface BuildRequest {
  dockerfile: Dockerfile;
  /** The extracted build context. */
  contextDir: string;
  tags: string[];
  /** Build up to this stage (name or index); default the last. */
  target?: string;
  noCache: boolean;
  buildArgs: Record<string, string | null>;
  /** `--label`: applied to the final image as a last LABEL step. */
  labels: Record<string, string>;
  networkMode: string;
  /** "os/arch[/variant]" for base images; "" the host's. */
  platform: string;
  signal?: AbortSignal;
}

/** Where a build reports: Docker's `{"stream": …}` text and the final `{"aux": {"ID": …}}`. */
export interface BuildProgress {
  stream(text: string): void;
  aux(imageId: string): void;
}

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** platform → Docker's automatic platform ARGs (TARGETOS, TARGETARCH … BUILDPLATFORM …). */
function platformArgs(platform: string): Map<string, string> {
  const host = { os: 'linux', arch: goArch(), variant: '' };
  const [os = host.os, arch = host.arch, variant = ''] = platform ? platform.split('/') : [];
  const target = { os, arch, variant };
  const m = new Map<string, string>();
  for (const [prefix, p] of [['TARGET', target], ['BUILD', host]] as const) {
    m.set(`${prefix}PLATFORM`, [p.os, p.arch, p.variant].filter(Boolean).join('/'));
    m.set(`${prefix}OS`, p.os);
    m.set(`${prefix}ARCH`, p.arch);
    m.set(`${prefix}VARIANT`, p.variant);
  }
  return m;
}

/**
 * Docker's classic builder over a `BuildBackend`: each stage from its base image (pulled when
 * missing), every instruction one step that makes one image — config-only steps an image with no
 * new layer, RUN a container committed, COPY/ADD an imported layer — each step looked up in the
 * build cache first (key: parent image + instruction after substitution + what else decides it).
 */
export class BuildExecutor {
  constructor(
    private readonly backend: BuildBackend,
    private readonly cache: BuildCache,
    private readonly paths: ImagePaths = new ImagePaths(),
  ) {}

  async build(req: BuildRequest, progress: BuildProgress): Promise<string> {
    const df = req.dockerfile;
    const targetIndex = this.targetIndex(df, req.target);
    const stages = df.stages.slice(0, targetIndex + 1);
    const total = stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
    const args = new BuildArgs(req.buildArgs, platformArgs(req.platform));
    args.declareMeta(df.metaArgs, df.escape);
    const predefined = args.predefined();
    const built = new Map<string, string>(); // stage name or index → image
    let run = new BuildRun(this.backend, this.cache, this.paths, req, progress, built, predefined, args, false);
    let failed = false;
    try {
      try {
        return await this.steps(req, progress, run, stages, total, built, args);
      } catch (err) {
        if (!(err instanceof StaleCache)) throw err;
        // A cached image was removed since its step was recorded (its entry is dropped now): the
        // build starts again, checking each hit before it goes on.
        progress.stream(` ---> The cached image ${short(err.imageId)} is gone: building again\n`);
        await run.drain();
        built.clear();
        const again = new BuildArgs(req.buildArgs, platformArgs(req.platform));
        again.declareMeta(df.metaArgs, df.escape);
        run = new BuildRun(this.backend, this.cache, this.paths, req, progress, built, again.predefined(), again, true);
        return await this.steps(req, progress, run, stages, total, built, again);
      }
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // Removals left running behind the steps end before the build answers (success or not);
      // a failed removal fails a build that otherwise succeeded, as it did when awaited in place.
      await Promise.all([run.drain(), this.backend.drain(), this.cache.flush()]).catch((err: unknown) => {
        if (!failed) throw err;
      });
    }
  }

  private async steps(req: BuildRequest, progress: BuildProgress, run: BuildRun, stages: Stage[], total: number, built: Map<string, string>, args: BuildArgs): Promise<string> {
    let step = 0;
    let last: StageState | undefined;
    for (const stage of stages) {
      progress.stream(`Step ${++step}/${total} : ${stage.from.original}\n`);
      const state = await run.from(stage.from);
      for (const instruction of stage.instructions) {
        progress.stream(`Step ${++step}/${total} : ${instruction.original}\n`);
        await run.step(state, instruction);
      }
      if (state.image === undefined) {
        if (stage === stages[stages.length - 1]) throw invalidArgument('No image was generated. Is your Dockerfile empty?');
      } else {
        built.set(String(stage.index), state.image);
        if (stage.from.stageName) built.set(stage.from.stageName, state.image);
      }
      last = state;
    }
    if (Object.keys(req.labels).length > 0) {
      const pairs = Object.entries(req.labels).map(([k, v]) => [JSON.stringify(k), JSON.stringify(v)] as [string, string]);
      await run.step(last!, { kind: 'label', line: 0, original: 'LABEL (--label)', pairs });
    }
    await run.confirmHits();
    const unused = args.unconsumed();
    if (unused.length > 0) progress.stream(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    const id = last!.image!;
    progress.aux(id);
    progress.stream(`Successfully built ${short(id)}\n`);
    for (const tag of req.tags) {
      await this.backend.tagImage(id, tag);
      progress.stream(`Successfully tagged ${tag}\n`);
    }
    return id;
  }

  private targetIndex(df: Dockerfile, target: string | undefined): number {
    if (!target) return df.stages.length - 1;
    const i = df.stages.findIndex((s) => s.from.stageName === target.toLowerCase());
    if (i < 0) throw invalidArgument(`failed to reach build target ${target} in Dockerfile`);
    return i;
  }
}

/** One build's steps: cache lookups, materialising images, progress. */
class BuildRun {
  /** RUN containers being removed behind the next steps; the first failure is the build's. */
  private readonly removals: Promise<void>[] = [];
  /**
   * Cache hits not checked yet. A run of hits is a chain: each hit's image was made on the one
   * before (the key holds the parent's ID), and an image with a child cannot be removed (rmi and
   * prune refuse, as Docker's), so the newest hit of a chain answers for all of it — a cached
   * build asks once, not once per step. Hits are confirmed before an image is used for real (a
   * miss builds on it, COPY --from or --chown reads it, a stage starts from it) and before the
   * answer. Should an older hit be gone after all (removed before berth kept parents), nothing
   * uses it but as an ID in the next key, and the image built on it is whole.
   */
  private unchecked: Array<{ key: string; id: string; parent: string | undefined }> = [];

  constructor(
    private readonly backend: BuildBackend,
    private readonly cache: BuildCache,
    private readonly paths: ImagePaths,
    private readonly req: BuildRequest,
    private readonly progress: BuildProgress,
    private readonly built: Map<string, string>,
    private readonly predefined: Map<string, string>,
    private readonly args: BuildArgs,
    /** Check each cache hit before going on (the retry after a StaleCache). */
    private readonly eagerChecks: boolean,
  ) {}

  /** Checks the newest hit of each chain of unchecked hits; a hit whose image is gone is dropped and ends this attempt. */
  async confirmHits(): Promise<void> {
    if (this.unchecked.length === 0) return;
    const pending = this.unchecked;
    this.unchecked = [];
    const newest = pending.filter((c) => !pending.some((d) => d.parent === c.id));
    const found = await Promise.all(newest.map((c) => this.exists(c.id)));
    const gone = newest.filter((_, i) => !found[i]);
    for (const g of gone) this.cache.drop(g.key);
    if (gone.length > 0) throw new StaleCache(gone[0]!.id);
  }

  private async exists(id: string): Promise<boolean> {
    return (await this.backend.findImage(id, this.req.signal)) !== undefined;
  }

  async drain(): Promise<void> {
    const settled = await Promise.allSettled(this.removals);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async from(from: FromInstruction): Promise<StageState> {
    const name = processWord(from.image, this.args.meta, this.req.dockerfile.escape);
    if (name === '') throw invalidArgument(`base name (${from.image}) should not be blank`);
    const state: StageState = { image: undefined, config: {}, args: new Map(), escape: this.req.dockerfile.escape, cmdSet: false };
    if (name.toLowerCase() === 'scratch') {
      this.progress.stream(' ---> Using scratch (no base image)\n');
      return state;
    }
    const stageImage = this.built.get(name.toLowerCase());
    if (stageImage !== undefined) await this.confirmHits();
    const platform = from.platform ? processWord(from.platform, this.args.meta, this.req.dockerfile.escape) : this.req.platform;
    const base = stageImage !== undefined ? await this.backend.findImage(stageImage, this.req.signal) : await this.baseImage(name, platform);
    if (!base) throw new BerthError('not_found', `image of stage ${name} is gone`);
    state.image = base.id;
    state.config = containerConfigOf(base.config);
    this.progress.stream(` ---> ${short(base.id)}\n`);
    return state;
  }

  private async baseImage(name: string, platform: string): Promise<BuiltImage> {
    const found = await this.backend.findImage(name, this.req.signal);
    if (found) return found;
    return this.backend.pullImage(name, platform, (line) => this.progress.stream(`${line}\n`), this.req.signal);
  }

  async step(state: StageState, i: Instruction): Promise<void> {
    this.req.signal?.throwIfAborted();
    const cfg = configStep(state, i, this.args);
    if (cfg) {
      // On FROM scratch too: each config step is an image with no layer (moby's NewChildImage
      // without a diff), so the stage's history has its `empty_layer` steps as Docker records them.
      const history = { createdBy: `/bin/sh -c #(nop)  ${cfg.instruction}` };
      const parent = state.image;
      await this.materialize(state, { instruction: cfg.instruction, extra: JSON.stringify(cfg.config) }, cfg.config, (parent) =>
        this.backend.commitConfig(parent, cfg.config, history, this.req.platform),
      );
      if (parent !== undefined && state.image !== undefined) this.paths.sameFilesystem(state.image, parent);
      return;
    }
    if (i.kind === 'run') return this.run(state, i.command);
    if (i.kind === 'copy' || i.kind === 'add') return this.copy(state, i);
    throw invalidArgument(`unsupported instruction ${(i as Instruction).kind}`);
  }

  /**
   * Looks the step up in the cache; on a miss runs `make` and records the new image. Either way
   * the stage moves on to the step's image and config.
   */
  private async materialize(
    state: StageState,
    key: { instruction: string; extra?: string },
    config: ContainerConfig,
    make: (parent: string | undefined) => Promise<BuiltImage>,
  ): Promise<void> {
    const k = cacheKey({ parent: state.image ?? 'scratch', ...key });
    if (!this.req.noCache) {
      const hit = this.eagerChecks ? await this.cache.lookup(k, (id) => this.exists(id)) : await this.cache.peek(k);
      if (hit !== undefined) {
        if (!this.eagerChecks) this.unchecked.push({ key: k, id: hit, parent: state.image });
        this.progress.stream(` ---> Using cache\n ---> ${short(hit)}\n`);
        state.image = hit;
        state.config = config;
        return;
      }
    }
    await this.confirmHits(); // the step builds on state.image: it must be there
    const made = await make(state.image);
    state.config = config;
    state.image = made.id;
    await this.cache.store(k, made.id);
    this.progress.stream(` ---> ${short(made.id)}\n`);
  }

  private async run(state: StageState, command: { json: boolean; args: string[] }): Promise<void> {
    const r = runCommand(state, command, this.predefined);
    await this.materialize(state, { instruction: `RUN ${JSON.stringify(r.argv)}`, extra: r.argsKey }, state.config, async (parent) => {
      if (parent === undefined) throw invalidArgument('RUN needs a base image with a shell: this stage is FROM scratch with no files yet');
      const spec = { image: parent, argv: r.argv, env: r.env, user: state.config.User ?? '', workingDir: state.config.WorkingDir ?? '', networkMode: this.req.networkMode };
      let container: string | undefined;
      try {
        const code = await this.backend.runContainer(
          spec,
          {
            created: (id) => {
              container = id;
              this.progress.stream(` ---> Running in ${short(id)}\n`);
            },
            output: (chunk) => this.progress.stream(chunk),
          },
          this.req.signal,
        );
        if (code !== 0) throw new BerthError('failed_precondition', `The command '${r.argv.join(' ')}' returned a non-zero code: ${code}`);
        return await this.backend.commitContainer(container!, parent, state.config, { createdBy: r.createdBy });
      } finally {
        if (container !== undefined) {
          // Off the critical path: the next step does not need it gone (drain() waits for it).
          this.removals.push(this.backend.removeContainer(container));
          this.progress.stream(` ---> Removed intermediate container ${short(container)}\n`);
        }
      }
    });
  }

  private async copy(state: StageState, i: CopyInstruction): Promise<void> {
    if (i.from !== undefined || i.chown !== undefined) await this.confirmHits(); // read before the cache is asked
    const v = vars(state);
    const words = i.json ? i.args.map((a) => processWord(a, v, state.escape)) : i.args.flatMap((a) => processWords(a, v, state.escape));
    if (words.length < 2) throw invalidArgument(`${i.kind.toUpperCase()} requires at least two arguments`);
    const rawDest = words[words.length - 1]!;
    const dest = resolveWorkdir(state.config.WorkingDir, rawDest) + (rawDest.endsWith('/') || rawDest === '.' ? '/' : '');
    let written: string[] | undefined;
    const layer = await copyLayer(this.backend, {
      kind: i.kind,
      sources: words.slice(0, -1),
      dest: dest === '//' ? '/' : dest,
      contextDir: this.req.contextDir,
      ...(i.from !== undefined && { from: this.fromImage(processWord(i.from, v, state.escape)) }),
      ...(i.chown !== undefined && { chown: processWord(i.chown, v, state.escape) }),
      ...(i.chmod !== undefined && { chmod: processWord(i.chmod, v, state.escape) }),
      image: state.image,
      statPaths: (image, paths) => this.paths.stat(this.backend, image, paths, this.req.signal),
      written: (names) => (written = names),
      signal: this.req.signal,
    });
    // moby writes a space after the destination ("… in /app/ "): kept, so history reads as Docker's.
    const history: HistoryStep = { createdBy: `/bin/sh -c #(nop) ${layer.describe} ` };
    await this.materialize(state, { instruction: layer.describe, extra: layer.hash }, state.config, async (parent) => {
      const made = await this.backend.importLayer(parent, state.config, history, layer.tar(), this.req.platform);
      if (parent !== undefined && written) this.paths.afterCopy(made.id, parent, written);
      return made;
    });
  }

  /** COPY --from: an earlier stage by name or index, else an image (pulled when missing). */
  private fromImage(name: string): () => Promise<string> {
    return async () => {
      const stage = this.built.get(name.toLowerCase());
      if (stage !== undefined) return stage;
      if (/^\d+$/.test(name)) throw invalidArgument(`invalid from flag value ${name}: no stage ${name} before this one`);
      return (await this.baseImage(name, this.req.platform)).id;
    };
  }
}

/** A cache hit's image is gone (removed after its step was recorded). */
class StaleCache extends Error {
  constructor(readonly imageId: string) {
    super(`cached image ${imageId} is gone`);
  }
}

export type { Stage };
