/**
 * The image config's `config` object, overridden field by field: a set field replaces the
 * parent's value as a whole (the caller merges lists and maps the way its verb wants, as Docker's
 * commit and build do), an unset one keeps it.
 */
export interface ConfigOverrides {
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  user?: string;
  workingDir?: string;
  /** "80/tcp". */
  exposedPorts?: string[];
  labels?: Record<string, string>;
  /** "/data". */
  volumes?: string[];
  stopSignal?: string;
  shell?: string[];
  onBuild?: string[];
  healthcheck?: HealthcheckConfig;
  argsEscaped?: boolean;
}

/** Durations in nanoseconds, 0 for the default. */
export interface HealthcheckConfig {
  test: string[];
  intervalNs: number;
  timeoutNs: number;
  startPeriodNs: number;
  startIntervalNs: number;
  retries: number;
}

/** The history step a new image records. */
export interface HistoryStep {
  createdBy: string;
  comment: string;
  author: string;
  /** RFC 3339; absent: now. */
  created?: string;
}

const set = (obj: Record<string, unknown>, key: string, value: unknown): void => {
  if (value === null || (Array.isArray(value) && value.length === 0) || value === '') delete obj[key];
  else obj[key] = value;
};

const asSet = (keys: string[]): Record<string, object> => Object.fromEntries(keys.map((k) => [k, {}]));

/** Applies `o` to a copy of Docker's config object (`Cmd`, `Env`, …). */
export function applyOverrides(base: Record<string, unknown>, o: ConfigOverrides): Record<string, unknown> {
  const c = { ...base };
  if (o.cmd !== undefined) set(c, 'Cmd', o.cmd.length === 0 ? null : o.cmd);
  if (o.entrypoint !== undefined) set(c, 'Entrypoint', o.entrypoint.length === 0 ? null : o.entrypoint);
  if (o.env !== undefined) set(c, 'Env', o.env);
  if (o.user !== undefined) set(c, 'User', o.user);
  if (o.workingDir !== undefined) set(c, 'WorkingDir', o.workingDir);
  if (o.exposedPorts !== undefined) set(c, 'ExposedPorts', o.exposedPorts.length === 0 ? null : asSet(o.exposedPorts));
  if (o.labels !== undefined) set(c, 'Labels', Object.keys(o.labels).length === 0 ? null : o.labels);
  if (o.volumes !== undefined) set(c, 'Volumes', o.volumes.length === 0 ? null : asSet(o.volumes));
  if (o.stopSignal !== undefined) set(c, 'StopSignal', o.stopSignal);
  if (o.shell !== undefined) set(c, 'Shell', o.shell);
  if (o.onBuild !== undefined) set(c, 'OnBuild', o.onBuild);
  if (o.argsEscaped !== undefined) set(c, 'ArgsEscaped', o.argsEscaped || null);
  if (o.healthcheck !== undefined) {
    const h = o.healthcheck;
    const hc: Record<string, unknown> = { Test: h.test };
    if (h.intervalNs) hc['Interval'] = h.intervalNs;
    if (h.timeoutNs) hc['Timeout'] = h.timeoutNs;
    if (h.startPeriodNs) hc['StartPeriod'] = h.startPeriodNs;
    if (h.startIntervalNs) hc['StartInterval'] = h.startIntervalNs;
    if (h.retries) hc['Retries'] = h.retries;
    set(c, 'Healthcheck', h.test.length === 0 ? null : hc);
  }
  return c;
}

/** A history entry in the config's JSON shape (Docker omits empty fields). */
export function historyEntry(step: HistoryStep, created: string, emptyLayer: boolean): Record<string, unknown> {
  return {
    created,
    ...(step.author && { author: step.author }),
    ...(step.createdBy && { created_by: step.createdBy }),
    ...(step.comment && { comment: step.comment }),
    ...(emptyLayer && { empty_layer: true }),
  };
}
