import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@berth/kit';

export interface TagEntry {
  digest: string;
  mediaType: string;
  /** When the upstream last confirmed the tag (ms since the epoch). */
  checkedAt: number;
}

type Index = Record<string, Record<string, TagEntry>>;

/**
 * Tag → manifest digest per repository (canonical names: "127.0.0.1:5001/busybox",
 * "docker.io/library/busybox"), kept in memory and saved to one JSON file (written to a temp
 * file and renamed) so that cached images still resolve after a restart while an upstream is
 * down. Saves are coalesced: one write at a time, the latest state wins.
 */
export class TagIndex {
  private index: Index = Object.create(null) as Index;
  private dirty = false;
  private saving: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) this.index = Object.assign(Object.create(null), parsed) as Index;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A missing index is a fresh cache; a corrupt one is rebuilt from upstream answers.
      if (code !== 'ENOENT') this.logger.warn({ file: this.file, err: (err as Error).message }, 'tag index unreadable: starting empty');
    }
  }

  get(repository: string, tag: string): TagEntry | undefined {
    const tags = this.index[repository];
    return tags && Object.hasOwn(tags, tag) ? tags[tag] : undefined;
  }

  set(repository: string, tag: string, entry: TagEntry): void {
    (this.index[repository] ??= Object.create(null) as Record<string, TagEntry>)[tag] = entry;
    this.save();
  }

  delete(repository: string, tag: string): void {
    const tags = this.index[repository];
    if (!tags || !Object.hasOwn(tags, tag)) return;
    delete tags[tag];
    if (Object.keys(tags).length === 0) delete this.index[repository];
    this.save();
  }

  repositories(): string[] {
    return Object.keys(this.index).sort();
  }

  tags(repository: string): string[] {
    return Object.keys(this.index[repository] ?? {}).sort();
  }

  /** Waits for pending saves (at shutdown). */
  async flush(): Promise<void> {
    while (this.saving) await this.saving;
  }

  private save(): void {
    this.dirty = true;
    this.saving ??= this.writeLoop().finally(() => (this.saving = undefined));
  }

  private async writeLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const tmp = `${this.file}.tmp`;
      try {
        await writeFile(tmp, JSON.stringify(this.index));
        await rename(tmp, this.file);
      } catch (err) {
        // The index is a cache of upstream answers: losing a save costs a re-fetch, not data.
        this.logger.warn({ file: this.file, err: (err as Error).message }, 'could not save the tag index');
      }
    }
  }
}
