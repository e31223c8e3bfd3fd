import { BerthError, invalidArgument } from '@berth/kit';
import type { CopyInstruction, Dockerfile, FromInstruction, Instruction, Stage } from './dockerfile/instructions.js';
import { processWord, processWords } from './dockerfile/shell-lex.js';
import type { BuildBackend, BuiltImage, HistoryStep } from './build-backend.js';
import { BuildArgs } from './build-args.js';
import { BuildCache, cacheKey } from './build-cache.js';
import { containerConfigOf, resolveWorkdir, type ContainerConfig } from './image-config.js';
import { configStep, runCommand, vars, type StageState } from './stage-steps.js';
import { copyLayer } from './copy-step.js';

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
  const archOf: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm' };
  const host = { os: 'linux', arch: archOf[process.arch] ?? process.arch, variant: '' };
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
    const run = new BuildRun(this.backend, this.cache, req, progress, built, predefined, args);
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
  constructor(
    private readonly backend: BuildBackend,
    private readonly cache: BuildCache,
    private readonly req: BuildRequest,
    private readonly progress: BuildProgress,
    private readonly built: Map<string, string>,
    private readonly predefined: Map<string, string>,
    private readonly args: BuildArgs,
  ) {}

  async from(from: FromInstruction): Promise<StageState> {
    const name = processWord(from.image, this.args.meta, this.req.dockerfile.escape);
    if (name === '') throw invalidArgument(`base name (${from.image}) should not be blank`);
    const state: StageState = { image: undefined, config: {}, args: new Map(), escape: this.req.dockerfile.escape, cmdSet: false };
    if (name.toLowerCase() === 'scratch') {
      this.progress.stream(' ---> Using scratch (no base image)\n');
      return state;
    }
    const stageImage = this.built.get(name.toLowerCase());
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
      const history = { createdBy: `/bin/sh -c #(nop)  ${cfg.instruction}` };
      return this.materialize(state, { instruction: cfg.instruction, extra: JSON.stringify(cfg.config) }, cfg.config, async (parent) => {
        if (parent === undefined) return undefined; // FROM scratch with no layer yet: the config waits for the first one
        return this.backend.commitConfig(parent, cfg.config, history);
      });
    }
    if (i.kind === 'run') return this.run(state, i.command);
    if (i.kind === 'copy' || i.kind === 'add') return this.copy(state, i);
    throw invalidArgument(`unsupported instruction ${(i as Instruction).kind}`);
  }

  /**
   * Looks the step up in the cache; on a miss runs `make` (which may answer undefined: nothing to
   * make) and records the new image. Either way the stage moves on to the step's image and config.
   */
  private async materialize(
    state: StageState,
    key: { instruction: string; extra?: string },
    config: ContainerConfig,
    make: (parent: string | undefined) => Promise<BuiltImage | undefined>,
  ): Promise<void> {
    const k = cacheKey({ parent: state.image ?? 'scratch', ...key });
    if (!this.req.noCache) {
      const hit = await this.cache.lookup(k, async (id) => (await this.backend.findImage(id, this.req.signal)) !== undefined);
      if (hit !== undefined) {
        this.progress.stream(` ---> Using cache\n ---> ${short(hit)}\n`);
        state.image = hit;
        state.config = config;
        return;
      }
    }
    const made = await make(state.image);
    state.config = config;
    if (!made) return;
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
          await this.backend.removeContainer(container);
          this.progress.stream(` ---> Removed intermediate container ${short(container)}\n`);
        }
      }
    });
  }

  private async copy(state: StageState, i: CopyInstruction): Promise<void> {
    const v = vars(state);
    const words = i.json ? i.args.map((a) => processWord(a, v, state.escape)) : i.args.flatMap((a) => processWords(a, v, state.escape));
    if (words.length < 2) throw invalidArgument(`${i.kind.toUpperCase()} requires at least two arguments`);
    const rawDest = words[words.length - 1]!;
    const dest = resolveWorkdir(state.config.WorkingDir, rawDest) + (rawDest.endsWith('/') || rawDest === '.' ? '/' : '');
    const layer = await copyLayer(this.backend, {
      kind: i.kind,
      sources: words.slice(0, -1),
      dest: dest === '//' ? '/' : dest,
      contextDir: this.req.contextDir,
      ...(i.from !== undefined && { from: this.fromImage(processWord(i.from, v, state.escape)) }),
      ...(i.chown !== undefined && { chown: processWord(i.chown, v, state.escape) }),
      ...(i.chmod !== undefined && { chmod: processWord(i.chmod, v, state.escape) }),
      image: state.image,
      signal: this.req.signal,
    });
    const history: HistoryStep = { createdBy: `/bin/sh -c #(nop) ${layer.describe}` };
    await this.materialize(state, { instruction: layer.describe, extra: layer.hash }, state.config, async (parent) =>
      this.backend.importLayer(parent, state.config, history, layer.tar(), this.req.platform),
    );
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

export type { Stage };
