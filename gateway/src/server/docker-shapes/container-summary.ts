import type { runtime } from '@berth/proto';
import { commandLine, effectiveConfig } from './effective-config.js';
import { parseImageConfig } from './image-config.js';
import { unixSeconds } from './image-shapes.js';
import { listPorts, networksFor } from './container-network.js';
import { mountPoints } from './container-mounts.js';
import { statusText } from './container-status.js';
import { emptySpec, emptyState } from './container-defaults.js';
import { withVolumeMounts } from './runtime-extras.js';

/** An entry of `GET /containers/json` (Docker's ContainerSummary). */
export function containerSummary(c: runtime.Container, now: Date = new Date()): Record<string, unknown> {
  const spec = c.spec ?? emptySpec(c);
  const state = c.state ?? emptyState();
  const config = effectiveConfig(spec, parseImageConfig(c.imageConfig).config ?? {});
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: spec.image,
    ImageID: c.imageId,
    Command: commandLine(c.path, c.args, config),
    Created: unixSeconds(c.created),
    Ports: listPorts(c, config.exposedPorts, state.running),
    Labels: config.labels,
    State: state.status,
    Status: statusText(state, now),
    HostConfig: { NetworkMode: spec.networkMode },
    NetworkSettings: { Networks: networksFor(c) },
    Mounts: withVolumeMounts(c, mountPoints(spec)),
  };
}
