import type { runtime } from '@berth/proto';
import type { StdioInput } from '../domain/stdio-input.js';
import type { StdioFrame } from '../domain/ports.js';
import type { ExecOutput } from '../domain/exec-container.js';
import type { ExecRecord } from '../domain/exec-store.js';

/**
 * The first message of a bidi stdio stream carries the options (`pick` finds them); the rest are
 * StdioInput frames. Returns the options and the remaining input, decoded.
 */
export async function splitOptions<Req, Opts>(
  reqs: AsyncIterable<Req>, pick: (r: Req) => Opts | undefined, input: (r: Req) => runtime.StdioInput | undefined,
): Promise<{ options: Opts | undefined; rest: AsyncIterable<StdioInput> }> {
  const it = reqs[Symbol.asyncIterator]();
  const first = await it.next();
  const options = first.done ? undefined : pick(first.value);
  const rest: AsyncIterable<StdioInput> = {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<StdioInput>> {
        for (;;) {
          const r = await it.next();
          if (r.done) return { done: true, value: undefined };
          const msg = input(r.value);
          if (msg) return { done: false, value: stdioInputFromProto(msg) };
        }
      },
    }),
  };
  return { options, rest };
}

function stdioInputFromProto(m: runtime.StdioInput): StdioInput {
  if (m.data !== undefined) return { data: Buffer.from(m.data) };
  if (m.resize) return { resize: { height: m.resize.height, width: m.resize.width } };
  return { closeStdin: Boolean(m.closeStdin) };
}

export function frameToProto(f: StdioFrame): runtime.StdioOutput {
  return { stream: f.stream, data: f.data };
}

export function execOutputToProto(e: ExecOutput): runtime.StartExecResponse {
  if ('started' in e) return { started: { pid: e.started } };
  if ('output' in e) return { output: frameToProto(e.output) };
  return { exit: { exitCode: e.exit } };
}

export function execToProto(e: ExecRecord): runtime.Exec {
  const c = e.config;
  return {
    id: e.id, containerId: e.containerId, running: e.running, ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}),
    pid: e.running ? e.pid : 0, cmd: c.cmd, env: c.env, user: c.user, workingDir: c.workingDir, tty: c.tty,
    privileged: c.privileged, attachStdin: c.attachStdin, attachStdout: c.attachStdout, attachStderr: c.attachStderr,
    detachKeys: c.detachKeys, canRemove: false,
  };
}

export function execConfigFromProto(r: runtime.CreateExecRequest): ExecRecord['config'] {
  return {
    cmd: [...r.cmd], env: [...r.env], user: r.user, workingDir: r.workingDir, tty: r.tty, privileged: r.privileged,
    attachStdin: r.attachStdin, attachStdout: r.attachStdout, attachStderr: r.attachStderr, detachKeys: r.detachKeys,
  };
}
