import { invalidArgument } from '@berth/kit';
import type { image } from '@berth/proto';
import type { CommitRequest } from '../domain/commit.js';
import type { ConfigOverrides, HistoryStep } from '../domain/image-config-overrides.js';
import type { ImportRequest } from '../domain/import-layer.js';
import { platformFromProto } from './convert.js';

/** CommitSnapshot and ImportLayer requests → domain; nothing else. */
export function commitRequestFromProto(req: image.CommitSnapshotRequest): CommitRequest {
  if (req.key === '') throw invalidArgument('snapshot key (container id) is empty');
  return { key: req.key, ...(req.parent && { parent: req.parent }), config: overridesFromProto(req.config), history: historyFromProto(req.history), tags: req.tags };
}

export function importRequestFromProto(header: image.ImportLayerHeader | undefined): ImportRequest {
  if (!header) throw invalidArgument('ImportLayer: the first message must be the header');
  const platform = platformFromProto(header.platform);
  return {
    ...(header.parent && { parent: header.parent }),
    config: overridesFromProto(header.config),
    history: historyFromProto(header.history),
    tags: header.tags,
    ...(platform && { platform }),
    ...(header.noLayer && { noLayer: true }),
  };
}

export function overridesFromProto(c: image.ImageConfigOverrides | undefined): ConfigOverrides {
  if (!c) return {};
  const o: ConfigOverrides = {};
  if (c.cmd) o.cmd = c.cmd.values;
  if (c.entrypoint) o.entrypoint = c.entrypoint.values;
  if (c.env) o.env = c.env.values;
  if (c.user !== undefined) o.user = c.user;
  if (c.workingDir !== undefined) o.workingDir = c.workingDir;
  if (c.exposedPorts) o.exposedPorts = c.exposedPorts.values;
  if (c.labels) o.labels = c.labels.values;
  if (c.volumes) o.volumes = c.volumes.values;
  if (c.stopSignal !== undefined) o.stopSignal = c.stopSignal;
  if (c.shell) o.shell = c.shell.values;
  if (c.onBuild) o.onBuild = c.onBuild.values;
  if (c.argsEscaped !== undefined) o.argsEscaped = c.argsEscaped;
  if (c.healthcheck) o.healthcheck = { ...c.healthcheck };
  return o;
}

function historyFromProto(h: image.HistoryStep | undefined): HistoryStep {
  return { createdBy: h?.createdBy ?? '', comment: h?.comment ?? '', author: h?.author ?? '', ...(h?.created && { created: h.created }) };
}
