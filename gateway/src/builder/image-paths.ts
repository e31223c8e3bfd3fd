import type { BuildBackend, ImagePathInfo } from './build-backend.js';

/**
 * What the builder has learnt about images' filesystems (`statPaths`), kept for the process:
 * images are immutable, so a path of an image never changes. A config step's image has its
 * parent's filesystem and shares what is known of it; so a COPY after `FROM base` + ENV/WORKDIR
 * steps asks the runtime only the first time that base is used. Bounded: the oldest images go
 * first.
 */
export class ImagePaths {
  private readonly known = new Map<string, Map<string, ImagePathInfo | undefined>>();

  constructor(private readonly maxImages = 512) {}

  /** The paths of `image`, asking the backend only for those not known yet. */
  async stat(backend: BuildBackend, image: string, paths: readonly string[], signal?: AbortSignal): Promise<Map<string, ImagePathInfo | undefined>> {
    const mine = this.of(image);
    const unknown = paths.filter((p) => !mine.has(p));
    if (unknown.length > 0) {
      const found = await backend.statPaths(image, unknown, signal);
      for (const p of unknown) mine.set(p, found.get(p));
    }
    return new Map(paths.map((p) => [p, mine.get(p)]));
  }

  /** `child` has exactly `parent`'s filesystem (a config-only step): they share one record, so what either learns the other knows. */
  sameFilesystem(child: string, parent: string): void {
    if (child !== parent) this.remember(child, this.of(parent));
  }

  /**
   * `child` is `parent` + a COPY layer of `written` (layer paths, "a/b"): what was known of the
   * parent still holds except at and below what the layer wrote; a directory the layer needed
   * and the parent lacked was made by the unpacker (0755, root).
   */
  afterCopy(child: string, parent: string, written: readonly string[]): void {
    const theirs = this.known.get(parent);
    if (!theirs) return;
    const mine = new Map<string, ImagePathInfo | undefined>();
    for (const [p, info] of theirs) {
      const rel = p.replace(/^\/+/, '');
      if (written.some((w) => w === rel || rel.startsWith(`${w}/`))) continue; // the layer's own now
      const above = written.some((w) => w.startsWith(`${rel}/`));
      if (!above) mine.set(p, info);
      else if (info?.type === 'directory') mine.set(p, info);
      else if (info === undefined) mine.set(p, { type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date() });
      // a symlink or a file the layer put a directory in place of: not known
    }
    this.remember(child, mine);
  }

  private of(image: string): Map<string, ImagePathInfo | undefined> {
    const mine = this.known.get(image);
    if (mine) {
      // Most recently used last.
      this.known.delete(image);
      this.known.set(image, mine);
      return mine;
    }
    return this.remember(image, new Map());
  }

  private remember(image: string, paths: Map<string, ImagePathInfo | undefined>): Map<string, ImagePathInfo | undefined> {
    this.known.delete(image);
    this.known.set(image, paths);
    while (this.known.size > this.maxImages) this.known.delete(this.known.keys().next().value!);
    return paths;
  }
}
