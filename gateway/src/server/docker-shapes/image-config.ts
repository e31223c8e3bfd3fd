/**
 * The parts of an OCI image config (`application/vnd.oci.image.config.v1+json`) the gateway shows.
 * The image service stores the config as fetched; a config that does not parse shows as empty
 * rather than failing a listing.
 */
export interface OciRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: unknown;
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface OciImageConfig {
  created?: string;
  author?: string;
  comment?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  docker_version?: string;
  config?: OciRuntimeConfig;
  rootfs?: { type?: string; diff_ids?: string[] };
}

export function parseImageConfig(bytes: Uint8Array | undefined): OciImageConfig {
  if (!bytes || bytes.length === 0) return {};
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as OciImageConfig) : {};
  } catch {
    // Shown as an image without config; the image service validated it when it was pulled.
    return {};
  }
}
