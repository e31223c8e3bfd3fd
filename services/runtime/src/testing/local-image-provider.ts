import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { BerthError } from '@berth/kit';
import type { MountSpec } from '../domain/container.js';
import type { ImageInfo, ImageProvider } from '../domain/image-provider.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\napp:x:1000:\nstaff:x:50:app\n';

/** Builds a busybox rootfs from the host's static busybox: /bin/busybox, one link per applet, /etc, dirs. */
export async function buildBusyboxRootfs(dir: string): Promise<void> {
  for (const d of ['bin', 'dev', 'etc', 'home/app', 'proc', 'root', 'sys', 'tmp', 'usr/bin', 'var/tmp']) {
    await mkdir(path.join(dir, d), { recursive: true });
  }
  await copyFile('/bin/busybox', path.join(dir, 'bin/busybox'));
  const { stdout } = await promisify(execFile)('/bin/busybox', ['--list']);
  for (const applet of stdout.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox')) {
    await symlink('busybox', path.join(dir, 'bin', applet));
  }
  await writeFile(path.join(dir, 'etc/passwd'), PASSWD);
  await writeFile(path.join(dir, 'etc/group'), GROUP);
}

/**
 * An ImageProvider over one local busybox rootfs (the overlay lowerdir) with real overlay
 * snapshots: the runtime's tests run real containers without the image service.
 */
export class LocalImageProvider implements ImageProvider {
  private readonly images = new Map<string, ImageInfo>();

  private constructor(private readonly root: string) {}

  static async create(root: string): Promise<LocalImageProvider> {
    const p = new LocalImageProvider(root);
    await buildBusyboxRootfs(p.lower);
    p.addImage('busybox:latest', { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] });
    return p;
  }

  get lower(): string {
    return path.join(this.root, 'rootfs');
  }

  /** Another image on the same rootfs with its own config (`config` is the OCI config's "config" object). */
  addImage(ref: string, config: Record<string, unknown>): ImageInfo {
    const json = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config }));
    const info: ImageInfo = { id: `sha256:${createHash('sha256').update(ref).update(json).digest('hex')}`, config: json };
    this.images.set(ref, info);
    if (!ref.includes(':')) this.images.set(`${ref}:latest`, info);
    else if (ref.endsWith(':latest')) this.images.set(ref.slice(0, -':latest'.length), info);
    this.images.set(info.id, info);
    return info;
  }

  async getImage(reference: string): Promise<ImageInfo> {
    const info = this.images.get(reference);
    if (!info) throw new BerthError('not_found', `No such image: ${reference}`);
    return info;
  }

  async prepareSnapshot(key: string): Promise<MountSpec[]> {
    const dir = path.join(this.root, 'snapshots', key);
    await mkdir(path.join(dir, 'upper'), { recursive: true });
    await mkdir(path.join(dir, 'work'), { recursive: true });
    return this.getSnapshotMounts(key);
  }

  async getSnapshotMounts(key: string): Promise<MountSpec[]> {
    const dir = path.join(this.root, 'snapshots', key);
    const options = [`lowerdir=${this.lower}`, `upperdir=${dir}/upper`, `workdir=${dir}/work`];
    return [{ type: 'overlay', source: 'overlay', target: '', options }];
  }

  async removeSnapshot(key: string): Promise<void> {
    await rm(path.join(this.root, 'snapshots', key), { recursive: true, force: true });
  }
}
