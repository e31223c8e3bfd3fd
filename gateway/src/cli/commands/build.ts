import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { flagBool, flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { jsonLines } from '../render/json-lines.js';
import { contextTar } from '../../builder/context-tar.js';

interface BuildOptions {
  context: string;
  tags: string[];
  file?: string;
  target?: string;
  noCache: boolean;
  buildArgs: string[];
  labels: string[];
  network?: string;
  platform?: string;
  quiet: boolean;
}

interface BuildMessage {
  stream?: string;
  status?: string;
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { message?: string; code?: number };
}

export const buildCommand: Command<BuildOptions> = {
  name: 'build',
  usage: 'berth build [OPTIONS] PATH',
  summary: 'Build an image from a Dockerfile',
  flags: [
    { long: 'tag', short: 't', kind: 'list', valueName: 'list', description: 'Name and optionally a tag in the "name:tag" format' },
    { long: 'file', short: 'f', kind: 'string', valueName: 'string', description: 'Name of the Dockerfile (default: "PATH/Dockerfile")' },
    { long: 'target', kind: 'string', valueName: 'string', description: 'Set the target build stage to build' },
    { long: 'no-cache', kind: 'bool', description: 'Do not use cache when building the image' },
    { long: 'build-arg', kind: 'list', valueName: 'list', description: 'Set build-time variables' },
    { long: 'label', kind: 'list', valueName: 'list', description: 'Set metadata for an image' },
    { long: 'network', kind: 'string', valueName: 'string', description: 'Set the networking mode for the RUN instructions during build (default "bridge")' },
    { long: 'platform', kind: 'string', valueName: 'string', description: 'Set platform if server is multi-platform capable' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress the build output and print image ID on success' },
  ],
  minArgs: 1,
  parse(args) {
    if (args.positionals.length !== 1) throw new UsageError('"build" requires exactly 1 argument.');
    const opt = (name: string) => {
      const v = flagString(args, name);
      return v === undefined ? {} : { [name === 'file' ? 'file' : name]: v };
    };
    return {
      context: args.positionals[0]!,
      tags: flagList(args, 'tag'),
      noCache: flagBool(args, 'no-cache'),
      buildArgs: flagList(args, 'build-arg'),
      labels: flagList(args, 'label'),
      quiet: flagBool(args, 'quiet'),
      ...opt('file'),
      ...opt('target'),
      ...opt('network'),
      ...opt('platform'),
    };
  },
  async action(o, { client, stdout, env }) {
    if (o.context === '-') throw new CliError('berth build: a context from stdin is not supported; give a directory', 125);
    const context = path.resolve(o.context);
    const query = new URLSearchParams();
    for (const t of o.tags) query.append('t', t);
    // -f: a path inside the context is named as is; one outside is sent along under a new name.
    const extra: Array<{ name: string; data: Buffer }> = [];
    let dockerfile = 'Dockerfile';
    if (o.file !== undefined) {
      const file = path.resolve(o.file);
      const rel = path.relative(context, file);
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        dockerfile = `.berth-dockerfile-${randomBytes(6).toString('hex')}`;
        extra.push({ name: dockerfile, data: await readFile(file) });
      } else dockerfile = rel.split(path.sep).join('/');
    }
    query.set('dockerfile', dockerfile);
    if (o.target) query.set('target', o.target);
    if (o.noCache) query.set('nocache', '1');
    if (o.network) query.set('networkmode', o.network);
    if (o.platform) query.set('platform', o.platform);
    if (o.quiet) query.set('q', '1');
    query.set('buildargs', JSON.stringify(keyValues(o.buildArgs, (k) => env?.[k] ?? null)));
    query.set('labels', JSON.stringify(keyValues(o.labels, () => '')));
    const res = await client.stream('POST', `/build?${query.toString()}`, {
      upload: { stream: contextTar(context, { extra, keep: [dockerfile] }), contentType: 'application/x-tar' },
    });
    let id = '';
    for await (const m of jsonLines<BuildMessage>(res)) {
      if (m.error) throw new CliError(m.errorDetail?.message ?? m.error, 1);
      if (m.aux?.ID) id = m.aux.ID;
      if (!o.quiet && m.stream) stdout.write(m.stream);
      if (!o.quiet && m.status) stdout.write(`${m.status}\n`);
    }
    if (o.quiet) stdout.write(`${id}\n`);
    return 0;
  },
};

/** `k=v` items; a bare `k` takes `bare(k)` (a build arg: the CLI's environment, as docker does). */
function keyValues<V>(items: readonly string[], bare: (k: string) => V): Record<string, string | V> {
  const out: Record<string, string | V> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    if (i < 0) out[item] = bare(item);
    else out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}
