import { humanAgo } from '../../format/human-duration.js';
import { humanSize } from '../../format/human-size.js';
import type { Command } from '../command.js';
import { renderTable, shortId } from '../render/table.js';
import { flagBool, flagString } from '../args.js';
import { formatRows } from '../render/row-format.js';

interface ImagesOptions {
  all: boolean;
  quiet: boolean;
  noTrunc: boolean;
  repository?: string;
  format?: string;
}

interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
}

/** "repo:tag" split at the tag's colon (a registry port has a colon too). */
function splitTag(repoTag: string): [string, string] {
  const colon = repoTag.lastIndexOf(':');
  if (colon <= repoTag.lastIndexOf('/')) return [repoTag, '<none>'];
  return [repoTag.slice(0, colon), repoTag.slice(colon + 1)];
}

/** One row per tag; untagged images as <none> (named by their digest's repository when they have one). */
export function imageRows(images: ImageSummary[], noTrunc: boolean, now = new Date()): string[][] {
  const rows: string[][] = [];
  for (const img of images) {
    const id = noTrunc ? img.Id : shortId(img.Id);
    const created = img.Created > 0 ? humanAgo(new Date(img.Created * 1000), now) : 'N/A';
    const size = humanSize(img.Size, 3);
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    if (tags.length === 0) {
      const repo = img.RepoDigests?.[0]?.split('@')[0] ?? '<none>';
      rows.push([repo, '<none>', id, created, size]);
    }
    for (const t of tags) rows.push([...splitTag(t), id, created, size]);
  }
  return rows;
}

export const imagesCommand: Command<ImagesOptions> = {
  name: 'images',
  usage: 'berth images [OPTIONS] [REPOSITORY[:TAG]]',
  summary: 'List images',
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Show all images' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only show image IDs' },
    { long: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
    { long: 'format', kind: 'string', valueName: 'string', description: "Format output using a template ('{{.Repository}}:{{.Tag}}')" },
  ],
  parse: (args) => ({
    all: flagBool(args, 'all'),
    quiet: flagBool(args, 'quiet'),
    noTrunc: flagBool(args, 'no-trunc'),
    ...(args.positionals[0] !== undefined && { repository: args.positionals[0] }),
    ...(flagString(args, 'format') !== undefined && { format: flagString(args, 'format')! }),
  }),
  async action(o, { client, stdout }) {
    const filters = o.repository ? JSON.stringify({ reference: [o.repository] }) : undefined;
    const images = await client.json<ImageSummary[]>('GET', '/images/json', { query: { all: o.all, filters } });
    if (o.quiet) {
      const ids = [...new Set(images.map((i) => (o.noTrunc ? i.Id : shortId(i.Id))))];
      stdout.write(ids.map((id) => id + '\n').join(''));
      return 0;
    }
    const rows = imageRows(images, o.noTrunc);
    if (o.format) {
      const fields = rows.map(([Repository, Tag, ID, CreatedSince, Size]) => ({ Repository, Tag, ID, CreatedSince, Size } as Record<string, string>));
      stdout.write(formatRows(o.format, fields, { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE' }));
      return 0;
    }
    stdout.write(renderTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows));
    return 0;
  },
};
