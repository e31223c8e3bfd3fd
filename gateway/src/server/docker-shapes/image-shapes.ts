import type { image } from '@berth/proto';
import { parseImageConfig } from './image-config.js';

/** Unix seconds of an RFC 3339 time; 0 when absent or unparsable. */
export function unixSeconds(rfc3339: string): number {
  const ms = Date.parse(rfc3339);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** An entry of `GET /images/json` (Docker's ImageSummary). */
export function imageSummary(img: image.Image): Record<string, unknown> {
  return {
    Id: img.id,
    ParentId: img.parent,
    RepoTags: img.repoTags,
    RepoDigests: img.repoDigests,
    Created: unixSeconds(img.created),
    Size: img.size,
    SharedSize: -1,
    VirtualSize: img.size,
    Labels: img.labels,
    Containers: img.containers,
  };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** `GET /images/{name}/json` (Docker's ImageInspect), built from the stored image config. */
export function imageInspect(img: image.Image): Record<string, unknown> {
  const oci = parseImageConfig(img.config);
  const c = oci.config ?? {};
  return {
    Id: img.id,
    RepoTags: img.repoTags,
    RepoDigests: img.repoDigests,
    Parent: img.parent,
    Comment: oci.comment ?? '',
    Created: img.created || oci.created || ZERO_TIME,
    DockerVersion: oci.docker_version ?? '',
    Author: oci.author ?? '',
    Config: {
      Hostname: '',
      Domainname: '',
      User: c.User ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts: c.ExposedPorts ?? null,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: c.Env ?? null,
      Cmd: c.Cmd ?? null,
      Healthcheck: c.Healthcheck,
      ArgsEscaped: c.ArgsEscaped,
      Image: '',
      Volumes: c.Volumes ?? null,
      WorkingDir: c.WorkingDir ?? '',
      Entrypoint: c.Entrypoint ?? null,
      OnBuild: c.OnBuild ?? null,
      Labels: c.Labels ?? null,
      StopSignal: c.StopSignal,
      Shell: c.Shell,
    },
    Architecture: img.architecture || oci.architecture || '',
    ...(img.variant || oci.variant ? { Variant: img.variant || oci.variant } : {}),
    Os: img.os || oci.os || '',
    Size: img.size,
    VirtualSize: img.size,
    GraphDriver: { Name: 'overlay2', Data: null },
    RootFS: rootFs(img.diffIds.length > 0 ? img.diffIds : (oci.rootfs?.diff_ids ?? []), oci.rootfs?.type),
    Metadata: { LastTagTime: img.lastTagTime || ZERO_TIME },
  };
}

/** Docker's RootFS: `Layers` is left out when there are none (a config-only FROM scratch build), as Go's omitempty does. */
function rootFs(layers: string[], type = 'layers'): { Type: string; Layers?: string[] } {
  return { Type: type, ...(layers.length > 0 && { Layers: layers }) };
}

/** `DELETE /images/{name}`: Docker's list of `{Untagged}` then `{Deleted}` entries. */
export function imageDeleteResponse(res: image.RemoveImageResponse): Array<Record<string, string>> {
  return [...res.untagged.map((u) => ({ Untagged: u })), ...res.deleted.map((d) => ({ Deleted: d }))];
}
