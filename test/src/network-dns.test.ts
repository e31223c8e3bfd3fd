// Issue "Networking": user-defined networks end to end — names, aliases, isolation, static
// addresses, connect/disconnect on running and stopped containers, the /etc files. Real stack,
// real busybox containers; traffic only between the stack's own namespaces and the host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestStack, type TestStack } from './harness/stack.js';
import { berth } from './harness/cli.js';
import { addressOn, httpdCommand, runIn, until } from './harness/net.js';

let s: TestStack;
const ok = async (args: string[]) => {
  const r = await berth(s.socket, args);
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
};
const inspect = async (name: string) => JSON.parse(await ok(['inspect', '--type', 'container', name]))[0];
const gatewayOf = async (network: string) => JSON.parse(await ok(['network', 'inspect', network]))[0].IPAM.Config[0].Gateway as string;

before(async () => {
  s = await startTestStack();
  await ok(['pull', s.busybox]);
  await ok(['network', 'create', 'front']);
  await ok(['network', 'create', 'other']);
});
after(async () => {
  await s?.stop();
});

test('two containers on a user network reach each other by name, alias and address; another network cannot', async () => {
  await ok(['run', '-d', '--name', 'web', '--network', 'front', '--network-alias', 'www', s.busybox, ...httpdCommand('hello-web')]);
  const ip = await addressOn(s, 'web', 'front');
  const probe = await runIn(s, ['--network', 'front', s.busybox, 'sh', '-c',
    `nslookup web; nslookup www; ping -c1 -W2 web; ping -c1 -W2 www; for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://${ip}:80/ && break; sleep 0.2; done`]);
  assert.equal(probe.out.split(`Address: ${ip}`).length - 1, 2, `web and www resolve to ${ip}: ${probe.out}`);
  assert.equal(probe.out.match(/1 packets received/g)?.length, 2, probe.out);
  assert.match(probe.out, /hello-web/);

  const outsider = await runIn(s, ['--network', 'other', s.busybox, 'sh', '-c',
    `ping -c1 -W1 ${ip} >/dev/null 2>&1 && echo PINGED || echo no-ping; timeout 3 wget -qO- http://${ip}:80/ 2>/dev/null || echo no-http`]);
  assert.match(outsider.out, /no-ping/);
  assert.match(outsider.out, /no-http/);
  assert.doesNotMatch(outsider.out, /hello-web|PINGED/);

  const info = await inspect('web');
  assert.deepEqual(Object.keys(info.NetworkSettings.Networks), ['front']);
  const ep = info.NetworkSettings.Networks.front;
  assert.deepEqual(ep.Aliases, ['www']);
  assert.deepEqual(ep.DNSNames, ['web', 'www', info.Id.slice(0, 12)]);
  assert.match(ep.MacAddress, /^02:42:/);
  assert.equal(ep.Gateway, await gatewayOf('front'));
  const net = JSON.parse(await ok(['network', 'inspect', 'front']))[0];
  assert.equal(net.Containers[info.Id].Name, 'web');
  assert.equal(net.Containers[info.Id].IPv4Address, `${ip}/${ep.IPPrefixLen}`);
});

test('resolv.conf names the network\'s DNS, hosts and hostname are Docker\'s; a static --ip is honoured', async () => {
  const gw = await gatewayOf('front');
  const subnet = JSON.parse(await ok(['network', 'inspect', 'front']))[0].IPAM.Config[0].Subnet as string;
  const fixed = subnet.replace(/\.0\/\d+$/, '.50');
  const r = await runIn(s, ['--network', 'front', '--ip', fixed, '--hostname', 'hh', s.busybox, 'sh', '-c',
    'cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; cat /etc/hostname; echo ---; ip -4 -o addr show eth0']);
  const [resolv, hosts, hostname, addr] = r.out.split('---\n');
  assert.match(resolv!, new RegExp(`^nameserver ${gw.replace(/\./g, '\\.')}$`, 'm'));
  assert.equal(resolv!.match(/^nameserver /gm)?.length, 1, resolv);
  assert.match(hosts!, /^127\.0\.0\.1\tlocalhost$/m);
  assert.match(hosts!, new RegExp(`^${fixed.replace(/\./g, '\\.')}\\thh$`, 'm'));
  assert.equal(hostname, 'hh\n');
  assert.match(addr!, new RegExp(`inet ${fixed.replace(/\./g, '\\.')}/`));
  const bad = await berth(s.socket, ['run', '--rm', '--ip', '10.1.2.3', s.busybox, 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /user specified IP address is supported on user defined networks only/);
});

test('connect and disconnect take effect on a running container at once, without a restart', async () => {
  await ok(['run', '-d', '--name', 'api', '--network', 'other', s.busybox, ...httpdCommand('hello-api')]);
  const pid = (await inspect('api')).State.Pid;
  await ok(['network', 'connect', '--alias', 'apiz', 'front', 'api']);
  const ip = await addressOn(s, 'api', 'front');
  const seen = await runIn(s, ['--network', 'front', s.busybox, 'sh', '-c',
    `nslookup apiz; for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://${ip}:80/ && break; sleep 0.2; done`]);
  assert.match(seen.out, new RegExp(`Address: ${ip.replace(/\./g, '\\.')}`));
  assert.match(seen.out, /hello-api/);
  const connected = await inspect('api');
  assert.equal(connected.State.Pid, pid, 'the same process: no restart');
  assert.deepEqual(Object.keys(connected.NetworkSettings.Networks), ['other', 'front']);

  await ok(['network', 'disconnect', 'front', 'api']);
  // (The prober may well get the address api just gave back: what matters is that api no longer answers there.)
  const gone = await runIn(s, ['--network', 'front', s.busybox, 'sh', '-c',
    `timeout 3 wget -qO- http://${ip}:80/ 2>/dev/null || echo no-http; nslookup apiz >/dev/null 2>&1 && echo RESOLVED || echo no-name`]);
  assert.match(gone.out, /no-http/);
  assert.match(gone.out, /no-name/);
  assert.doesNotMatch(gone.out, /hello-api|RESOLVED/);
  const after = await inspect('api');
  assert.equal(after.State.Pid, pid);
  assert.deepEqual(Object.keys(after.NetworkSettings.Networks), ['other']);
  const twice = await berth(s.socket, ['network', 'disconnect', 'front', 'api']);
  assert.notEqual(twice.code, 0);
  assert.equal((await berth(s.socket, ['network', 'disconnect', '-f', 'front', 'api'])).code, 0, 'forced: not an error');
});

test('a stopped container remembers connect and disconnect; each start makes its sandbox anew, stop tears it down', async () => {
  await ok(['run', '-d', '--name', 'late', '--network', 'other', s.busybox, 'sleep', '300']);
  await ok(['stop', '-t', '0', 'late']);
  const stopped = await inspect('late');
  assert.equal(stopped.NetworkSettings.Networks.other.IPAddress, '', 'no endpoint while stopped');
  assert.equal(stopped.NetworkSettings.SandboxKey, '');
  await ok(['network', 'connect', 'front', 'late']);
  assert.deepEqual(Object.keys((await inspect('late')).NetworkSettings.Networks), ['other', 'front']);
  await ok(['start', 'late']);
  const started = await inspect('late');
  assert.match(started.NetworkSettings.Networks.front.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(started.NetworkSettings.Networks.other.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  const onFront = () => ok(['network', 'inspect', 'front']).then((t) => Object.keys(JSON.parse(t)[0].Containers as object));
  assert.ok((await onFront()).includes(started.Id));
  await ok(['stop', '-t', '0', 'late']);
  assert.ok(!(await onFront()).includes(started.Id), 'stop tears the sandbox down');
  await ok(['network', 'disconnect', 'other', 'late']);
  await ok(['start', 'late']);
  const restarted = await inspect('late');
  assert.deepEqual(Object.keys(restarted.NetworkSettings.Networks), ['front']);
  await until('late on front', onFront, (ids) => ids.includes(started.Id));
  await ok(['rm', '-f', 'late']);
  assert.ok(!(await onFront()).includes(started.Id));
});
