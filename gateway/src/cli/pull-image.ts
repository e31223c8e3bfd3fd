import { parseImageRef } from '../reference/image-reference.js';
import type { CliContext, Output } from './command.js';
import { jsonLines } from './render/json-lines.js';
import { PullProgressRenderer, type ProgressMessage } from './render/pull-progress.js';
import { authHeaderFor } from './registry-credentials.js';

export interface PullImageOptions {
  /** os[/arch[/variant]] */
  platform?: string;
  /** Also fetch every other platform's layers of a multi-platform image (berth's `allPlatforms`). */
  allPlatforms?: boolean;
}

/** Pulls `ref`, rendering the daemon's progress to `out` (stdout for `pull`, stderr for `run`). */
export async function pullImage(ctx: CliContext, ref: string, out: Output, options: PullImageOptions = {}): Promise<void> {
  const parsed = parseImageRef(ref);
  const res = await ctx.client.stream('POST', '/images/create', {
    query: { fromImage: `${parsed.domain}/${parsed.path}`, tag: parsed.digest ?? parsed.tag ?? 'latest', platform: options.platform, ...(options.allPlatforms && { allPlatforms: true }) },
    headers: await authHeaderFor(ctx.env ?? {}, parsed.domain),
  });
  const renderer = new PullProgressRenderer(out);
  for await (const msg of jsonLines<ProgressMessage>(res)) renderer.push(msg);
}
