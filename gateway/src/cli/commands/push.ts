import { withDefaultTag } from '@berth/registry/reference';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { pathName } from '../engine-client.js';
import { authHeaderFor } from '../registry-credentials.js';
import { jsonLines } from '../render/json-lines.js';
import { PullProgressRenderer, type ProgressMessage } from '../render/pull-progress.js';
import { parseImageRef, referenceString } from '../../reference/image-reference.js';

interface PushOptions {
  image: string;
  allTags: boolean;
  quiet: boolean;
  platform?: string;
}

/** `berth push`: Docker's progress (one line per layer), credentials from `berth login`. */
export const pushCommand: Command<PushOptions> = {
  name: 'push',
  usage: 'berth push [OPTIONS] NAME[:TAG]',
  summary: 'Upload an image to a registry',
  flags: [
    { long: 'all-tags', short: 'a', kind: 'bool', description: 'Push all tags of an image to the repository' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress verbose output' },
    { long: 'platform', kind: 'string', valueName: 'string', description: "Push only this platform's manifest of a multi-platform image, as a single-platform image (os/arch[/variant])" },
  ],
  minArgs: 1,
  parse(args) {
    if (args.positionals.length !== 1) throw new UsageError('"push" requires exactly 1 argument.');
    const image = args.positionals[0]!;
    const allTags = flagBool(args, 'all-tags');
    const ref = parseImageRef(image);
    if (allTags && ref.tag !== undefined) throw new UsageError('tag can\'t be used with --all-tags/-a');
    if (ref.digest !== undefined) throw new UsageError(`cannot push a digest reference`);
    const platform = flagString(args, 'platform');
    return { image, allTags, quiet: flagBool(args, 'quiet'), ...(platform !== undefined && { platform: ociPlatformJson(platform) }) };
  },
  async action({ image, allTags, quiet, platform }, ctx) {
    const ref = parseImageRef(image);
    const name = `${ref.domain}/${ref.path}`;
    const tag = allTags ? '' : (ref.tag ?? 'latest');
    const res = await ctx.client.stream('POST', `/images/${pathName(name)}/push`, {
      query: { tag, platform },
      headers: await authHeaderFor(ctx.env ?? {}, ref.domain),
    });
    const renderer = new PullProgressRenderer(quiet ? { write: () => undefined, isTTY: false, columns: 80 } : ctx.stdout);
    for await (const msg of jsonLines<ProgressMessage & { aux?: unknown }>(res)) {
      if (msg.aux !== undefined) continue; // the digest is also on the status line before it
      renderer.push(msg);
    }
    if (quiet) ctx.stdout.write(`${allTags ? referenceString({ domain: ref.domain, path: ref.path }) : referenceString(withDefaultTag(ref))}\n`);
    return 0;
  },
};

/** "linux/arm64/v8" → the JSON-encoded OCI platform the API (1.46) takes, as the docker CLI sends it. */
function ociPlatformJson(value: string): string {
  const [os = '', architecture = '', variant, ...extra] = value.split('/');
  if (os === '' || architecture === '' || variant === '' || extra.length > 0) throw new UsageError(`invalid platform "${value}": expected os/arch[/variant]`);
  return JSON.stringify({ os, architecture, ...(variant !== undefined && { variant }) });
}
