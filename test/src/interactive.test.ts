// Interactive containers in a real terminal (tmux): the stock docker CLI and berth with -it,
// exec -it, attach and the ctrl-p ctrl-q detach keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestStack, type TestStack } from './harness/stack.js';
import { BERTH_CLI, DOCKER_CLI, docker } from './harness/cli.js';
import { Terminal } from './harness/terminal.js';

let s: TestStack;
let home: string;
const terminals: Terminal[] = [];
before(async () => {
  s = await startTestStack();
  home = mkdtempSync(path.join(os.tmpdir(), 'berth-tty-'));
  assert.equal((await docker(s.socket, ['pull', s.busybox])).code, 0);
});
after(async () => {
  for (const t of terminals) await t.close();
  await s?.stop();
  rmSync(home, { recursive: true, force: true });
});

const dockerEnv = () => ({ DOCKER_HOST: `unix://${s.socket}`, DOCKER_CONFIG: home, HOME: home, TERM: 'xterm' });
const berthEnv = () => ({ BERTH_HOST: `unix://${s.socket}`, HOME: home, TERM: 'xterm' });
async function open(argv: string[], env: Record<string, string>): Promise<Terminal> {
  const t = await Terminal.open(argv, env);
  terminals.push(t);
  return t;
}

test('docker run -it busybox sh: typed commands run, `exit 4` makes the CLI exit 4', async () => {
  const t = await open([DOCKER_CLI, 'run', '-it', '--rm', '--network', 'none', s.busybox, 'sh'], dockerEnv());
  await t.waitFor(/# ?$/m);
  await t.type('echo h""i; tty');
  await t.waitFor(/^hi\r?$/m);
  // `tty` answers after the echo (its line may not be on the screen yet when "hi" is).
  const screen = await t.waitFor(/^(\/dev\/pts\/\d+|not a tty)/m);
  assert.match(screen, /^\/dev\/pts\/\d+/m, 'the shell has a terminal');
  await t.type('stty size');
  await t.waitFor(/^40 120/m); // the container's tty has the terminal's size
  await t.type('exit 4');
  assert.equal(await t.exitStatus(), 4);
});

test('berth run -it is interactive too, and exits with the shell\'s code', async () => {
  const t = await open([process.execPath, BERTH_CLI, 'run', '-it', '--rm', '--network', 'none', s.busybox, 'sh'], berthEnv());
  await t.waitFor(/# ?$/m);
  await t.type('echo b""erth');
  await t.waitFor(/^berth\r?$/m);
  await t.type('exit 3');
  assert.equal(await t.exitStatus(), 3);
});

test('docker exec -it into a running container; ctrl-p ctrl-q detaches from docker attach', async () => {
  const run = await docker(s.socket, ['run', '-dit', '--name', 'tty1', '--network', 'none', s.busybox, 'sh']);
  assert.equal(run.code, 0, run.stderr);
  const exec = await open([DOCKER_CLI, 'exec', '-it', 'tty1', 'sh'], dockerEnv());
  await exec.waitFor(/# ?$/m);
  await exec.type('echo from-ex""ec; exit 7');
  await exec.waitFor(/^from-exec\r?$/m);
  assert.equal(await exec.exitStatus(), 7);

  const attach = await open([DOCKER_CLI, 'attach', 'tty1'], dockerEnv());
  await new Promise((r) => setTimeout(r, 500));
  await attach.type('echo att""ached');
  await attach.waitFor(/^attached\r?$/m);
  await attach.keys('C-p', 'C-q');
  // The docker CLI reports a detach as the error "read escape sequence" (status 1), against dockerd too.
  assert.equal(await attach.exitStatus(), 1, 'detaching ends the CLI');
  assert.match(await attach.screen(), /read escape sequence/);
  const state = await docker(s.socket, ['inspect', '--format', '{{.State.Running}}', 'tty1']);
  assert.equal(state.stdout.trim(), 'true', 'the container keeps running after a detach');
  assert.equal((await docker(s.socket, ['rm', '-f', 'tty1'])).code, 0);
});

test('berth exec -it and berth attach (ctrl-p ctrl-q detaches, exit ends it with the code)', async () => {
  const run = await docker(s.socket, ['run', '-dit', '--name', 'tty2', '--network', 'none', s.busybox, 'sh']);
  assert.equal(run.code, 0, run.stderr);
  const exec = await open([process.execPath, BERTH_CLI, 'exec', '-it', 'tty2', 'sh'], berthEnv());
  await exec.waitFor(/# ?$/m);
  await exec.type('stty size; echo from-berth-ex""ec; exit 6');
  await exec.waitFor(/^from-berth-exec\r?$/m);
  assert.match(await exec.screen(), /^40 120/m, 'the exec tty has the terminal size');
  assert.equal(await exec.exitStatus(), 6);

  const attach = await open([process.execPath, BERTH_CLI, 'attach', 'tty2'], berthEnv());
  await new Promise((r) => setTimeout(r, 500));
  await attach.type('echo berth-att""ached');
  await attach.waitFor(/^berth-attached\r?$/m);
  await attach.keys('C-p', 'C-q');
  assert.equal(await attach.exitStatus(), 0, await attach.screen());
  assert.equal((await docker(s.socket, ['inspect', '--format', '{{.State.Running}}', 'tty2'])).stdout.trim(), 'true');

  const again = await open([process.execPath, BERTH_CLI, 'attach', 'tty2'], berthEnv());
  await new Promise((r) => setTimeout(r, 500));
  await again.type('exit 9');
  assert.equal(await again.exitStatus(), 9, 'attach ends with the container\'s exit code');
  assert.equal((await docker(s.socket, ['rm', '-f', 'tty2'])).code, 0);
});

test('berth run -it: ctrl-p ctrl-q detaches (exit 0), the container goes on, docker attach rejoins it', async () => {
  const t = await open([process.execPath, BERTH_CLI, 'run', '-it', '--name', 'tty3', '--network', 'none', s.busybox, 'sh'], berthEnv());
  await t.waitFor(/# ?$/m);
  await t.type('echo before-de""tach');
  await t.waitFor(/^before-detach\r?$/m);
  await t.keys('C-p', 'C-q');
  assert.equal(await t.exitStatus(), 0, await t.screen());
  const state = await docker(s.socket, ['inspect', '--format', '{{.State.Status}} {{.State.Running}}', 'tty3']);
  assert.equal(state.stdout.trim(), 'running true', 'the container keeps running after a detach');

  const attach = await open([DOCKER_CLI, 'attach', 'tty3'], dockerEnv());
  await new Promise((r) => setTimeout(r, 500));
  await attach.type('echo re""joined');
  await attach.waitFor(/^rejoined\r?$/m);
  await attach.type('exit 5');
  assert.equal(await attach.exitStatus(), 5, 'attach ends with the container\'s exit code');
  const after = await docker(s.socket, ['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'tty3']);
  assert.equal(after.stdout.trim(), 'exited 5');
  assert.equal((await docker(s.socket, ['rm', 'tty3'])).code, 0);
});
