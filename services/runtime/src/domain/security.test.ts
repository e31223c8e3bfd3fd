import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { RuntimeHarness } from '../testing/runtime-harness.js';
import { until } from '../testing/until.js';

describe('security defaults and options (real runc)', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create();
  });
  after(async () => {
    await h?.cleanup();
  });

  /** Runs a script to its end: [exit code, stdout + stderr]. */
  async function sh(script: string, spec: Parameters<RuntimeHarness['create']>[0] = {}): Promise<[number, string]> {
    const id = await h.run({ cmd: ['sh', '-c', script], ...spec });
    const { exitCode } = await h.client.waitContainer({ id, condition: '' });
    return [exitCode, await h.logs(id)];
  }
  const status = (what: string) => `; echo ${what}=$?`;

  it('refuses in a default container: mount, NET_ADMIN, loading modules; sees no host pids', async () => {
    const script = [
      `mkdir -p /mnt; mount -t tmpfs none /mnt${status('mount')}`,
      `ip addr add 127.0.0.2/8 dev lo${status('ipaddr')}`,
      `printf junk > /tmp/x.ko; insmod /tmp/x.ko${status('insmod')}`,
      `echo pids=$(ls /proc | grep -c '^[0-9]')`,
      `echo init=$(tr '\\0' ' ' < /proc/1/cmdline)`,
      `ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1${status('ping')}`, // NET_RAW is in Docker's default set
    ].join('; ');
    const [, out] = await sh(script);
    // stdout and stderr are separate pipes: their order in the log is not the program's.
    assert.match(out, /mount: permission denied/);
    assert.match(out, /mount=[1-9]/);
    assert.match(out, /RTNETLINK answers: Operation not permitted/);
    assert.match(out, /ipaddr=[1-9]/);
    assert.match(out, /insmod: can't insert '\/tmp\/x.ko': Operation not permitted/);
    assert.match(out, /insmod=[1-9]/);
    assert.ok(Number(/pids=(\d+)/.exec(out)?.[1]) <= 5, 'only its own processes (sh, a subshell, ls, grep)');
    assert.match(out, /init=sh -c /);
    assert.match(out, /ping=0/);
  });

  it('cap-add and cap-drop change what a process may do', async () => {
    const [, add] = await sh(`ip addr add 127.0.0.2/8 dev lo${status('ipaddr')}`, { capAdd: ['NET_ADMIN'] });
    assert.match(add, /ipaddr=0/);
    const [, drop] = await sh(`ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1${status('ping')}; chown 1000 /tmp 2>/dev/null${status('chown')}`, { capDrop: ['NET_RAW', 'chown'] });
    assert.match(drop, /ping=[1-9]/);
    assert.match(drop, /chown=[1-9]/);
  });

  it('privileged: every capability this host has, mounts allowed, no seccomp', async () => {
    const [, out] = await sh(`grep -E '^(CapEff|Seccomp):' /proc/self/status; mkdir -p /mnt; mount -t tmpfs none /mnt${status('mount')}`, { privileged: true });
    const bounding = /^CapBnd:\s*(\S+)$/m.exec(await readFile('/proc/self/status', 'utf8'))![1];
    assert.match(out, new RegExp(`CapEff:\t${bounding}\n`));
    assert.match(out, /Seccomp:\t0\n/);
    assert.match(out, /mount=0/);
  });

  it('read-only rootfs with a writable --tmpfs; no-new-privileges', async () => {
    const script = `touch /x 2>/dev/null${status('root')}; touch /tmp/y${status('tmp')}; grep ' /tmp ' /proc/mounts; grep NoNewPrivs /proc/self/status`;
    const [, out] = await sh(script, { readOnlyRootfs: true, tmpfs: { '/tmp': 'size=1m' }, securityOpt: ['no-new-privileges'] });
    assert.match(out, /root=[1-9]/);
    assert.match(out, /tmp=0/);
    assert.match(out, /^tmpfs \/tmp tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k/m);
    assert.match(out, /NoNewPrivs:\t1/);
  });

  it('--pid host sees the host\'s processes; --uts host has the host\'s name; --hostname sets one', async () => {
    const [, pid] = await sh('ls /proc 2>/dev/null | grep -c "^[0-9]"', { pidMode: 'host' }); // host processes come and go meanwhile
    assert.ok(Number(/^\d+$/m.exec(pid)?.[0]) > 10, `host pids visible: ${pid.trim()}`);
    const donor = await h.run({ cmd: ['sleep', '301'] });
    const [, joined] = await sh('tr "\\0" " " < /proc/1/cmdline', { pidMode: `container:${donor}` });
    assert.equal(joined, 'sleep 301 ', '--pid container:<x> sees its processes');
    await h.client.removeContainer({ id: donor, force: true, removeVolumes: false });
    assert.equal((await sh('hostname', { utsMode: 'host' }))[1], `${hostname()}\n`);
    assert.equal((await sh('hostname; cat /etc/hostname', { hostname: 'box.example' }))[1], 'box.example\nbox.example\n');
  });

  it('--ipc host and --ipc container:<x> share /dev/shm; --shm-size sizes it', async () => {
    const marker = `berth-ipc-${process.pid}`;
    await writeFile(path.join('/dev/shm', marker), 'host');
    try {
      assert.equal((await sh(`cat /dev/shm/${marker}`, { ipcMode: 'host' }))[1], 'host');
    } finally {
      await rm(path.join('/dev/shm', marker), { force: true });
    }
    const owner = await h.run({ cmd: ['sh', '-c', 'echo shared > /dev/shm/m; sleep 300'], ipcMode: 'shareable' });
    await until('the donor wrote its file', async () => (await h.exec(owner, ['cat', '/dev/shm/m'])).stdout === 'shared\n');
    const private_ = await h.run({ cmd: ['sleep', '300'] });
    const refused = await h.create({ cmd: ['true'], ipcMode: `container:${private_}` });
    await assert.rejects(h.client.startContainer({ id: refused }), /non-shareable IPC/);
    const [, shared] = await sh('cat /dev/shm/m; readlink /proc/self/ns/ipc', { ipcMode: `container:${owner}` });
    const ownerNs = (await h.exec(owner, ['readlink', '/proc/self/ns/ipc'])).stdout;
    assert.equal(shared, `shared\n${ownerNs}`);
    const [, size] = await sh("df -k /dev/shm | tail -1 | awk '{print $2}'", { shmSize: 8 * 1024 * 1024 });
    assert.equal(size, '8192\n');
    for (const id of [owner, private_]) await h.client.removeContainer({ id, force: true, removeVolumes: false });
  });

  it('binds a host directory read-write and read-only', async () => {
    const dir = path.join(h.root, 'bind-src');
    await mkdir(dir);
    await writeFile(path.join(dir, 'in'), 'from host\n');
    const [, out] = await sh(`cat /rw/in; echo out > /rw/out${status('rw')}; (echo x > /ro/x) 2>/dev/null${status('ro')}`, {
      binds: [`${dir}:/rw`, `${dir}:/ro:ro`],
    });
    assert.match(out, /^from host\nrw=0\nro=[1-9]\n$/);
  });
});
