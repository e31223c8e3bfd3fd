import type { ContainerConfig } from './image-config.js';

/** An image as the builder sees it: its ID and the `config` object of its image config. */
export interface BuiltImage {
  /** "sha256:<hex>". */
  id: string;
  config: ContainerConfig;
}

/** One history step of a new image (Docker's `created_by`, and whether it added no layer). */
export interface HistoryStep {
  createdBy: string;
  comment?: string;
  author?: string;
}

/** What a RUN step's container is made of. */
export interface RunSpec {
  /** The image the container starts from. */
  image: string;
  argv: string[];
  env: string[];
  user: string;
  workingDir: string;
  /** "bridge" (default), "host", "none", a network name. */
  networkMode: string;
}

/** A path archived out of an image (COPY --from): its kind and a tar whose top entry is the path's base name. */
export interface ArchivedPath {
  isDirectory: boolean;
  name: string;
  tar: AsyncIterable<Uint8Array>;
}

/** A path of an image's filesystem as a layer entry would carry it (a symlink at its end not followed). */
export interface ImagePathInfo {
  type: 'directory' | 'symlink' | 'other';
  /** Permission bits (with setuid/setgid/sticky). */
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  /** A symlink's target, absolute and resolved inside the image (symlinks along it followed, never out of its root). */
  linkTarget?: string;
}

/**
 * Everything the builder needs from the services. The executor knows only this interface, so it
 * is tested against an in-memory implementation; `GrpcBuildBackend` is the real one (image
 * service: get/pull/commit/import/tag; runtime: RUN containers and COPY --from archives).
 */
export interface BuildBackend {
  /** The image by reference or ID; undefined when there is none. */
  findImage(reference: string, signal?: AbortSignal): Promise<BuiltImage | undefined>;
  /** Pulls `reference` (docker build pulls a missing base image); progress lines as they come. */
  pullImage(reference: string, platform: string, progress: (line: string) => void, signal?: AbortSignal): Promise<BuiltImage>;
  /**
   * RUN: creates a container, starts it, streams its output, waits for its exit. The container
   * is left (stopped) for `commitContainer` or `removeContainer`; its ID is reported as soon as
   * it exists through `created`, so the caller can remove it whatever happens next.
   */
  runContainer(spec: RunSpec, io: { created(id: string): void; output(chunk: string): void }, signal?: AbortSignal): Promise<number>;
  /** The container's changes as one layer on `parent`, with the whole new config and one history step. */
  commitContainer(containerId: string, parent: string, config: ContainerConfig, history: HistoryStep): Promise<BuiltImage>;
  removeContainer(containerId: string): Promise<void>;
  /**
   * A step that changes only the config: a new image with no new layer (`empty_layer`), on
   * `parent` or (undefined: `FROM scratch`) on nothing; `platform` is then the image's.
   */
  commitConfig(parent: string | undefined, config: ContainerConfig, history: HistoryStep, platform: string): Promise<BuiltImage>;
  /** COPY/ADD: the tar as one new layer on `parent` (undefined: on nothing, `FROM scratch`). */
  importLayer(parent: string | undefined, config: ContainerConfig, history: HistoryStep, tar: AsyncIterable<Uint8Array>, platform: string): Promise<BuiltImage>;
  /**
   * Paths of the image's filesystem (absolute), looked at together: what each is, or undefined
   * where nothing is. COPY uses it for the destination and the directories above it.
   */
  statPaths(image: string, paths: readonly string[], signal?: AbortSignal): Promise<Map<string, ImagePathInfo | undefined>>;
  /** COPY --from: `path` of the image's filesystem, resolved as if chrooted. */
  archivePath(image: string, path: string, signal?: AbortSignal): Promise<ArchivedPath>;
  tagImage(imageId: string, tag: string): Promise<void>;
  /**
   * Waits for the clean-up a backend leaves running behind a step (removing a reader
   * container) so that it is off a step's critical path; the build calls it before it answers,
   * whatever happened.
   */
  drain(): Promise<void>;
}
