import { humanAgo } from '../../format/human-duration.js';
import { humanSize } from '../../format/human-size.js';
import { flagBool } from '../args.js';
import type { AnyCommand, Command } from '../command.js';
import { renderTable, shortId } from '../render/table.js';

interface DfImage {
  Id: string;
  RepoTags: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  Containers: number;
}
interface DfContainer {
  Id: string;
  Names: string[];
  Image: string;
  State: string;
  SizeRw: number;
}
interface DfVolume {
  Name: string;
  UsageData: { Size: number; RefCount: number } | null;
}
interface DiskUsage {
  LayersSize: number;
  Images: DfImage[] | null;
  Containers: DfContainer[] | null;
  Volumes: DfVolume[] | null;
}

/** "4.46MB (100%)", docker/cli's reclaimable column. */
function reclaimable(bytes: number, total: number): string {
  return total > 0 ? `${humanSize(bytes, 3)} (${Math.floor((bytes * 100) / total)}%)` : humanSize(bytes, 3);
}

/** The summary table, computed as docker/cli's formatter does. */
export function dfRows(du: DiskUsage): string[][] {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  const usedByContainers = images.filter((i) => i.Containers > 0).reduce((a, i) => a + i.Size - i.SharedSize, 0);
  const running = (c: DfContainer) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting';
  const rw = containers.reduce((a, c) => a + c.SizeRw, 0);
  const idleRw = containers.filter((c) => !running(c)).reduce((a, c) => a + c.SizeRw, 0);
  const volSize = volumes.reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const idleVol = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
  return [
    ['Images', String(images.length), String(images.filter((i) => i.Containers > 0).length), humanSize(du.LayersSize, 3), reclaimable(du.LayersSize - usedByContainers, du.LayersSize)],
    ['Containers', String(containers.length), String(containers.filter(running).length), humanSize(rw, 3), reclaimable(idleRw, rw)],
    ['Local Volumes', String(volumes.length), String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), humanSize(volSize, 3), reclaimable(idleVol, volSize)],
    ['Build Cache', '0', '0', '0B', '0B'],
  ];
}

export const systemDfCommand: Command<{ verbose: boolean }> = {
  name: 'df',
  usage: 'berth system df [OPTIONS]',
  summary: 'Show disk usage',
  flags: [{ long: 'verbose', short: 'v', kind: 'bool', description: 'Show detailed information on space usage' }],
  parse: (args) => ({ verbose: flagBool(args, 'verbose') }),
  async action(o, { client, stdout }) {
    const du = await client.json<DiskUsage>('GET', '/system/df');
    if (!o.verbose) {
      stdout.write(renderTable(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], dfRows(du)));
      return 0;
    }
    const now = new Date();
    stdout.write('Images space usage:\n\n');
    const imageRows = (du.Images ?? []).flatMap((i) =>
      (i.RepoTags?.length ? i.RepoTags : ['<none>:<none>']).map((t) => {
        const colon = t.lastIndexOf(':');
        return [t.slice(0, colon), t.slice(colon + 1), shortId(i.Id), humanAgo(new Date(i.Created * 1000), now), humanSize(i.Size, 3), humanSize(i.SharedSize, 3), humanSize(i.Size - i.SharedSize, 3), String(i.Containers)];
      }),
    );
    stdout.write(renderTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], imageRows));
    stdout.write('\nContainers space usage:\n\n');
    const containerRows = (du.Containers ?? []).map((c) => [shortId(c.Id), c.Image, humanSize(c.SizeRw, 3), c.State, (c.Names[0] ?? '').replace(/^\//, '')]);
    stdout.write(renderTable(['CONTAINER ID', 'IMAGE', 'SIZE', 'STATUS', 'NAMES'], containerRows));
    stdout.write('\nLocal Volumes space usage:\n\n');
    const volumeRows = (du.Volumes ?? []).map((v) => [v.Name, String(v.UsageData?.RefCount ?? 0), humanSize(Math.max(0, v.UsageData?.Size ?? 0), 3)]);
    stdout.write(renderTable(['VOLUME NAME', 'LINKS', 'SIZE'], volumeRows));
    stdout.write('\nBuild cache usage: 0B\n');
    return 0;
  },
};

export const SYSTEM_VERBS: readonly AnyCommand[] = [systemDfCommand];
