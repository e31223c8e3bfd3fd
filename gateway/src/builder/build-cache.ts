import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * What a build step is, for the cache: the image it runs on, the instruction after variable
 * substitution, and what else decides its result — the build args in effect for RUN, the
 * content hash of the copied files (and --chown/--chmod) for COPY/ADD, the source image for
 * COPY --from.
 */
export interface StepKey {
  parent: string;
  instruction: string;
  extra?: string;
}

export function cacheKey(step: StepKey): string {
  return createHash('sha256').update(JSON.stringify([step.parent, step.instruction, step.extra ?? ''])).digest('hex');
}

/**
 * The build cache index: step key → the image that step made. Kept in one JSON file under the
 * gateway's state dir (`<stateRoot>/gateway/builder/cache.json`), written whole through a
 * temporary file and a rename. Entries are only hints: a hit is used only when the image still
 * exists (`validate`), otherwise it is dropped, so removing images never breaks a build. The file
 * is read once per process and written once per build (`flush`), only when something changed: a
 * cached build writes nothing; entries lost to a crash before the flush only cost a rebuild.
 */
export class BuildCache {
  private entries: Map<string, string> | undefined;
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(private readonly dir: string) {}

  private get file(): string {
    return path.join(this.dir, 'cache.json');
  }

  private async load(): Promise<Map<string, string>> {
    if (this.entries) return this.entries;
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8')) as { entries?: Record<string, string> };
      this.entries = new Map(Object.entries(raw.entries ?? {}));
    } catch {
      this.entries = new Map(); // no index yet (or an unreadable one): start empty
    }
    return this.entries;
  }

  /** The image of a cached step, if it is still there. */
  async lookup(key: string, exists: (imageId: string) => Promise<boolean>): Promise<string | undefined> {
    const entries = await this.load();
    const id = entries.get(key);
    if (id === undefined) return undefined;
    if (await exists(id)) return id;
    entries.delete(key);
    this.dirty = true;
    return undefined;
  }

  /** The image recorded for a step, not checked: the caller checks it (`drop` if it is gone). */
  async peek(key: string): Promise<string | undefined> {
    return (await this.load()).get(key);
  }

  /** Forgets a step whose image is gone. */
  drop(key: string): void {
    if (this.entries?.delete(key)) this.dirty = true;
  }

  async store(key: string, imageId: string): Promise<void> {
    (await this.load()).set(key, imageId);
    this.dirty = true;
  }

  /** Writes the index if a build changed it. */
  flush(): Promise<void> {
    if (!this.dirty) return this.saving;
    this.dirty = false;
    return this.save();
  }

  /** Saves serialized: the last write holds every entry of this process. */
  private save(): Promise<void> {
    // A failed save does not stop the next one from trying.
    this.saving = this.saving.catch(() => undefined).then(async () => {
      await mkdir(this.dir, { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ version: 1, entries: Object.fromEntries(this.entries ?? []) }));
      await rename(tmp, this.file);
    });
    return this.saving;
  }
}
