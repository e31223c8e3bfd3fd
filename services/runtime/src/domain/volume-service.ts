import { Attr, withSpan } from '@berth/kit';
import type { Container } from './container.js';
import type { RuntimeContext } from './context.js';
import {
  createVolume, getVolume, listVolumes, pruneVolumes, removeVolume, view, volumePath, type CreateVolumeRequest, type VolumeView,
} from './volumes.js';
import type { VolumeMount } from './volume.js';

/** Volume use cases (`volume.<Verb>` spans). */
export class VolumeService {
  constructor(private readonly ctx: RuntimeContext) {}

  create(req: CreateVolumeRequest): Promise<VolumeView> {
    return withSpan('volume.Create', { [Attr.VolumeName]: req.name }, async () => view(this.ctx, await createVolume(this.ctx, req)));
  }

  get(name: string): VolumeView {
    return view(this.ctx, getVolume(this.ctx, name));
  }

  list(filters: Record<string, string[]>): VolumeView[] {
    return listVolumes(this.ctx, filters);
  }

  remove(name: string, force: boolean): Promise<void> {
    return withSpan('volume.Remove', { [Attr.VolumeName]: name }, () => removeVolume(this.ctx, name, force));
  }

  prune(filters: Record<string, string[]>): Promise<{ removed: string[]; bytes: number }> {
    return withSpan('volume.Prune', {}, () => pruneVolumes(this.ctx, filters));
  }

  /** A container's volumes with their host directories (inspect's Mounts). */
  mountsOf(c: Container): Array<VolumeMount & { source: string }> {
    return (c.volumes ?? []).map((m) => ({ ...m, source: volumePath(this.ctx, m.name) }));
  }
}
