import path from 'node:path';
import { BerthError } from '@berth/kit';
import type { ContainerSpec } from '../domain/container.js';
import type { OciMount } from './spec-defaults.js';

/**
 * The user's mounts: host-path `binds` ("/host:/ctr[:ro|rw][,...]"), typed `mounts` (bind, tmpfs)
 * and `tmpfs` ("/ctr" → "size=64m"). Volumes (named binds, bare paths, type=volume) are resolved
 * apart (domain/volume-mounts.ts): they need the volume store.
 */
export function userMounts(spec: ContainerSpec): OciMount[] {
  const out: OciMount[] = [];
  for (const bind of spec.binds) {
    const [source = '', target, mode = ''] = bind.split(':');
    if (target === undefined || !path.isAbsolute(source)) continue; // a volume
    if (!target) throw new BerthError('invalid_argument', `invalid bind: ${JSON.stringify(bind)}`);
    checkTarget(target, bind);
    const flags = mode.split(',').filter(Boolean);
    out.push({ destination: target, type: 'bind', source, options: ['rbind', flags.includes('ro') ? 'ro' : 'rw', 'rprivate'] });
  }
  for (const m of spec.mounts) {
    if (m.type === 'volume') continue;
    checkTarget(m.target, m.target);
    if (m.type === 'bind') {
      if (!path.isAbsolute(m.source)) throw new BerthError('invalid_argument', `bind source must be absolute: ${m.source}`);
      out.push({ destination: m.target, type: 'bind', source: m.source, options: ['rbind', 'rprivate', ...m.options] });
    } else if (m.type === 'tmpfs') {
      out.push({ destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...m.options] });
    } else {
      throw new BerthError('invalid_argument', `mount type ${m.type} is not supported yet`);
    }
  }
  for (const [target, opts] of Object.entries(spec.tmpfs)) {
    checkTarget(target, target);
    out.push({ destination: target, type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', ...opts.split(',').filter(Boolean)] });
  }
  return out;
}

function checkTarget(target: string, what: string): void {
  if (!path.isAbsolute(target) || path.normalize(target) === '/') {
    throw new BerthError('invalid_argument', `invalid mount destination in ${JSON.stringify(what)}`);
  }
}
