import { parseImageRef } from '../reference/image-reference.js';
import type { CliContext, Output } from './command.js';
import { jsonLines } from './render/json-lines.js';
import { PullProgressRenderer, type ProgressMessage } from './render/pull-progress.js';
import { authHeaderFor } from './registry-credentials.js';

/** Pulls `ref`, rendering the daemon's progress to `out` (stdout for `pull`, stderr for `run`). */
export async function pullImage(ctx: CliContext, ref: string, out: Output, platform?: string): Promise<void> {
  const parsed = parseImageRef(ref);
  const res = await ctx.client.stream('POST', '/images/create', {
    query: { fromImage: `${parsed.domain}/${parsed.path}`, tag: parsed.digest ?? parsed.tag ?? 'latest', platform },
    headers: await authHeaderFor(ctx.env ?? {}, parsed.domain),
  });
  const renderer = new PullProgressRenderer(out);
  for await (const msg of jsonLines<ProgressMessage>(res)) renderer.push(msg);
}
