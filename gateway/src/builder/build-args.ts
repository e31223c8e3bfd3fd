import type { ArgInstruction } from './dockerfile/instructions.js';
import { processWord, type Vars } from './dockerfile/shell-lex.js';

/** Args every build may be given without declaring them (they never enter the image history). */
export const PREDEFINED_ARGS = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
]);

/**
 * The build args of a build: `--build-arg` values, the ARGs before the first FROM (visible in
 * FROM lines, and in a stage that declares them again without a default), and which were used,
 * for Docker's "build-args were not consumed" warning.
 */
export class BuildArgs {
  readonly meta = new Map<string, string>();
  private readonly consumed = new Set<string>();

  constructor(
    private readonly given: Readonly<Record<string, string | null>>,
    readonly automatic: ReadonlyMap<string, string>,
  ) {}

  /** Evaluates the ARGs before the first FROM, in order (each may use the earlier ones). */
  declareMeta(instructions: readonly ArgInstruction[], escape: string): void {
    for (const i of instructions) {
      for (const a of i.args) {
        const value = this.valueOf(a.name, a.defaultValue === undefined ? undefined : processWord(a.defaultValue, this.meta, escape));
        if (value !== undefined) this.meta.set(a.name, value);
      }
    }
  }

  /** The value an ARG declared in a stage takes: --build-arg, else its default, else the meta ARG's. */
  stageValue(name: string, defaultValue: string | undefined): string | undefined {
    return this.valueOf(name, defaultValue ?? this.meta.get(name) ?? this.automatic.get(name));
  }

  /** Predefined args given on the command line: in effect in every RUN without a declaration. */
  predefined(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries(this.given)) {
      if (PREDEFINED_ARGS.has(k) && v !== null) {
        out.set(k, v);
        this.consumed.add(k);
      }
    }
    return out;
  }

  /** Given build args no ARG consumed (Docker warns about them). */
  unconsumed(): string[] {
    return Object.keys(this.given).filter((k) => !this.consumed.has(k) && !PREDEFINED_ARGS.has(k)).sort();
  }

  private valueOf(name: string, fallback: string | undefined): string | undefined {
    if (Object.hasOwn(this.given, name)) {
      this.consumed.add(name);
      const v = this.given[name];
      if (v !== null && v !== undefined) return v;
    }
    return fallback;
  }
}

/** The variables of a stage for substitution: its ARGs, overridden by its ENV. */
export function stageVars(args: ReadonlyMap<string, string>, env: ReadonlyMap<string, string>): Vars {
  return new Map([...args, ...env]);
}
