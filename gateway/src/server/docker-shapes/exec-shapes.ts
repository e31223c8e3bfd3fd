import { BerthError } from '@berth/kit';
import type { runtime } from '@berth/proto';
import { asObject, optBool, optString, optStrings, optStrSlice } from './json-fields.js';

/** `POST /containers/{id}/exec`: Docker's ExecConfig → CreateExecRequest. */
export function execCreateFromDocker(containerId: string, body: unknown): runtime.CreateExecRequest {
  const b = asObject(body, 'ExecConfig');
  const cmd = optStrSlice(b, 'Cmd') ?? [];
  if (cmd.length === 0) throw new BerthError('invalid_argument', 'No exec command specified');
  return {
    containerId, cmd, env: optStrings(b, 'Env'), user: optString(b, 'User'), workingDir: optString(b, 'WorkingDir'),
    tty: optBool(b, 'Tty'), privileged: optBool(b, 'Privileged'), attachStdin: optBool(b, 'AttachStdin'),
    attachStdout: optBool(b, 'AttachStdout'), attachStderr: optBool(b, 'AttachStderr'), detachKeys: optString(b, 'DetachKeys'),
  };
}

/** `POST /exec/{id}/start`: Detach, Tty, ConsoleSize [height, width]. */
export function execStartFromDocker(body: unknown): { detach: boolean; consoleSize?: { height: number; width: number } } {
  const b = asObject(body, 'ExecStartConfig');
  const size = b['ConsoleSize'];
  const consoleSize = Array.isArray(size) && size.length === 2 && size.every((n) => Number.isInteger(n) && n > 0)
    ? { height: size[0] as number, width: size[1] as number }
    : undefined;
  return { detach: optBool(b, 'Detach'), ...(consoleSize ? { consoleSize } : {}) };
}

/** `GET /exec/{id}/json`: Docker's ExecInspect. */
export function execInspect(e: runtime.Exec): Record<string, unknown> {
  return {
    ID: e.id,
    Running: e.running,
    ExitCode: e.exitCode ?? null,
    ProcessConfig: { tty: e.tty, entrypoint: e.cmd[0] ?? '', arguments: e.cmd.slice(1), privileged: e.privileged, user: e.user },
    OpenStdin: e.attachStdin,
    OpenStderr: e.attachStderr,
    OpenStdout: e.attachStdout,
    CanRemove: e.canRemove,
    ContainerID: e.containerId,
    DetachKeys: e.detachKeys,
    Pid: e.pid,
  };
}
