import { createReadStream } from 'node:fs';
import { familiarName } from '@berth/registry/reference';
import { flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { jsonLines } from '../render/json-lines.js';
import { parseImageRef } from '../../reference/image-reference.js';

interface ImportOptions {
  source: string;
  repo?: string;
  tag?: string;
  message?: string;
  changes: string[];
  platform?: string;
}

export const importCommand: Command<ImportOptions> = {
  name: 'import',
  usage: 'berth import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  summary: 'Import the contents from a tarball to create a filesystem image',
  flags: [
    { long: 'change', short: 'c', kind: 'list', valueName: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { long: 'message', short: 'm', kind: 'string', valueName: 'string', description: 'Set commit message for imported image' },
    { long: 'platform', kind: 'string', valueName: 'string', description: 'Set platform if server is multi-platform capable' },
  ],
  parse(args) {
    const [source, target, ...extra] = args.positionals;
    if (source === undefined || extra.length > 0) throw new UsageError('"import" requires at least 1 and at most 2 arguments.');
    const o: ImportOptions = { source, changes: flagList(args, 'change') };
    const message = flagString(args, 'message');
    const platform = flagString(args, 'platform');
    if (message !== undefined) o.message = message;
    if (platform !== undefined) o.platform = platform;
    if (target !== undefined) {
      const ref = parseImageRef(target);
      if (ref.digest) throw new UsageError('refusing to create a tag with a digest reference');
      o.repo = familiarName(ref);
      o.tag = ref.tag ?? 'latest';
    }
    return o;
  },
  async action(o, { client, stdout, stdin }) {
    // Like docker: "-" is stdin, a URL is fetched by the engine, anything else is a local file sent as the body.
    const isUrl = /^https?:\/\//.test(o.source);
    const fromSrc = isUrl ? o.source : '-';
    if (o.source === '-' && (!stdin || (stdin as { isTTY?: boolean }).isTTY)) throw new CliError('requested import from stdin, but stdin is empty', 1);
    const upload = isUrl ? undefined : { stream: o.source === '-' ? stdin! : createReadStream(o.source), contentType: 'application/x-tar' };
    const res = await client.stream('POST', '/images/create', {
      query: { fromSrc, repo: o.repo, tag: o.tag, message: o.message, platform: o.platform, changes: o.changes.length > 0 ? o.changes.join('\n') : undefined },
      ...(upload && { upload }),
    });
    let id = '';
    for await (const m of jsonLines<{ status?: string; error?: string }>(res)) {
      if (m.error) throw new CliError(m.error, 1);
      if (m.status?.startsWith('sha256:')) id = m.status;
    }
    stdout.write(`${id}\n`);
    return 0;
  },
};
