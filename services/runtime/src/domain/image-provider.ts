import type { MountSpec } from './container.js';

/** An image as the runtime needs it. */
export interface ImageInfo {
  /** "sha256:<config digest>" */
  id: string;
  /** The image config JSON as stored. */
  config: Buffer;
}

/**
 * Where images and container snapshots come from. Production asks the image service over gRPC;
 * tests use a local busybox rootfs. Kept this small on purpose (containerd's Snapshotter verbs
 * the runtime needs, nothing else).
 */
export interface ImageProvider {
  /** Throws `not_found` when there is no such image. */
  getImage(reference: string): Promise<ImageInfo>;
  /** A writable snapshot for a container on top of its image: the rootfs mounts. */
  prepareSnapshot(key: string, imageId: string): Promise<MountSpec[]>;
  /** The mounts of an existing snapshot. */
  getSnapshotMounts(key: string): Promise<MountSpec[]>;
  /** Idempotent. */
  removeSnapshot(key: string): Promise<void>;
}

/** The parts of the OCI image config (`config` object) the runtime uses. */
export interface ImageRunConfig {
  user: string;
  env: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir: string;
  labels: Record<string, string>;
  stopSignal: string;
  exposedPorts: string[];
  /** VOLUME destinations. */
  volumes: string[];
  /** HEALTHCHECK (Docker's image config Healthcheck, durations in ns). */
  healthcheck?: { test: string[]; intervalNs: number; timeoutNs: number; retries: number; startPeriodNs: number; startIntervalNs: number };
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;

/** Reads the run config out of an image config JSON; tolerant of absent fields, as images vary. */
export function parseImageConfig(json: Buffer): ImageRunConfig {
  let doc: { config?: Record<string, unknown> } = {};
  try {
    doc = json.length ? (JSON.parse(json.toString('utf8')) as typeof doc) : {};
  } catch {
    doc = {}; // an unreadable config leaves the request to say everything (Docker does the same)
  }
  const c = doc.config ?? {};
  const labels = c.Labels && typeof c.Labels === 'object' ? (c.Labels as Record<string, string>) : {};
  const exposed = c.ExposedPorts && typeof c.ExposedPorts === 'object' ? Object.keys(c.ExposedPorts) : [];
  return {
    user: typeof c.User === 'string' ? c.User : '',
    env: strings(c.Env) ?? [],
    entrypoint: strings(c.Entrypoint),
    cmd: strings(c.Cmd),
    workingDir: typeof c.WorkingDir === 'string' ? c.WorkingDir : '',
    labels: { ...labels },
    stopSignal: typeof c.StopSignal === 'string' ? c.StopSignal : '',
    exposedPorts: exposed,
    volumes: c.Volumes && typeof c.Volumes === 'object' ? Object.keys(c.Volumes) : [],
    ...(c.Healthcheck && typeof c.Healthcheck === 'object' ? { healthcheck: healthcheckOf(c.Healthcheck as Record<string, unknown>) } : {}),
  };
}

function healthcheckOf(h: Record<string, unknown>): NonNullable<ImageRunConfig['healthcheck']> {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    test: strings(h.Test) ?? [], intervalNs: n(h.Interval), timeoutNs: n(h.Timeout), retries: n(h.Retries),
    startPeriodNs: n(h.StartPeriod), startIntervalNs: n(h.StartInterval),
  };
}
