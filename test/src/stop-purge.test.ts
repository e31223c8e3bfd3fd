// `npm stop -- --purge`: containers removed, services stopped, and the kernel objects that outlive
// the services by design (bridges, veths, iptables chains, netns files, the cgroup parent) gone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { purgeStack } from '@berth/deploy';
import { instanceTag } from '@berth/network';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth } from './harness/cli.js';
import { cgroupsUnder, conmonsUnder } from './harness/leaks.js';

let s: TestStack | undefined;
after(async () => {
  await s?.stop();
});

function ownedLinks(tag: string): string[] {
  return readdirSync('/sys/class/net').filter((dev) => {
    try {
      return readFileSync(`/sys/class/net/${dev}/ifalias`, 'utf8').startsWith(`berth:${tag}:`);
    } catch {
      return false;
    }
  });
}

test('npm stop -- --purge removes containers, then bridges, veths, iptables chains, netns files and the cgroup parent', async () => {
  s = await startTestStack();
  const bridge = s.env.BERTH_BRIDGE_NAME!;
  const chainPrefix = `BERTH-${bridge}`;
  const tag = instanceTag(s.env.BERTH_STATE_ROOT!);
  assert.equal((await berth(s.socket, ['network', 'create', 'purgenet'])).code, 0);
  const web = await berth(s.socket, ['run', '-d', '-p', '127.0.0.1::80', s.busybox, 'sleep', '300']);
  assert.equal(web.code, 0, web.stderr);
  const onNet = await berth(s.socket, ['run', '-d', '--network', 'purgenet', s.busybox, 'sleep', '300']);
  assert.equal(onNet.code, 0, onNet.stderr);
  // What purge must take away is there now.
  assert.ok(ownedLinks(tag).length >= 4, `bridges and veths of this instance: ${ownedLinks(tag).join(' ')}`);
  assert.match(execFileSync('iptables-save', { encoding: 'utf8' }), new RegExp(`:${chainPrefix}`));
  assert.equal(conmonsUnder(s.root).length, 2);

  const report = await purgeStack(s.env, { nats: false });
  assert.equal(report.containers.length, 2);
  assert.deepEqual(report.busyCgroups, []);
  assert.deepEqual([...report.stopped].sort(), ['gateway', 'image', 'network', 'registry', 'runtime']);
  assert.deepEqual(ownedLinks(tag), [], 'no bridge or veth of this instance is left');
  assert.doesNotMatch(execFileSync('iptables-save', { encoding: 'utf8' }), new RegExp(chainPrefix), 'no chain or jump of this instance is left');
  assert.deepEqual(conmonsUnder(s.root), []);
  assert.deepEqual(cgroupsUnder(s.cgroupParent), []);
  const base = '/sys/fs/cgroup';
  const hierarchies = existsSync(path.join(base, 'cgroup.controllers')) ? [base] : readdirSync(base).map((d) => path.join(base, d));
  assert.deepEqual(hierarchies.map((h) => path.join(h, s!.cgroupParent)).filter((d) => existsSync(d)), [], 'the cgroup parent is gone');
  const netns = path.join(s.env.BERTH_RUN_ROOT!, 'netns');
  assert.deepEqual(existsSync(netns) ? readdirSync(netns) : [], []);
});
