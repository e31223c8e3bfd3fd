import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { errorKind } from '@berth/kit';
import { RuntimeHarness } from '../testing/runtime-harness.js';

const kind = (k: string, text?: RegExp) => (err: unknown) => {
  assert.equal(errorKind(err), k, String(err));
  if (text) assert.match((err as Error).message, text);
  return true;
};

describe('container lifecycle (real runc + conmon)', () => {
  let h: RuntimeHarness;
  before(async () => {
    h = await RuntimeHarness.create();
    h.images.addImage('epimg', { Entrypoint: ['echo', 'img-ep'], Cmd: ['img-cmd'], Env: ['PATH=/bin', 'FROM_IMAGE=1'], WorkingDir: '/home' });
    h.images.addImage('nocmd', { Env: ['PATH=/bin'] });
  });
  after(async () => {
    await h?.cleanup();
  });

  /** Runs to the end and returns [exit code, output]. */
  async function output(spec: Parameters<RuntimeHarness['create']>[0]): Promise<[number, string]> {
    const id = await h.run(spec);
    const { exitCode } = await h.client.waitContainer({ id, condition: 'not-running' });
    return [exitCode, await h.logs(id)];
  }

  it('runs echo hello: logs, exit 0, events', async () => {
    const id = await h.run({ cmd: ['echo', 'hello'] });
    const { exitCode } = await h.client.waitContainer({ id, condition: '' });
    assert.equal(exitCode, 0);
    assert.equal(await h.logs(id), 'hello\n');
    const die = await h.event(id, 'die');
    assert.equal(die.Actor.Attributes.exitCode, '0');
    assert.equal(die.Actor.Attributes.image, 'busybox');
    const { container } = await h.client.getContainer({ id });
    assert.equal(container!.state!.status, 'exited');
    assert.notEqual(container!.state!.finishedAt, '0001-01-01T00:00:00Z');
    assert.deepEqual(h.events.events.filter((e) => e.Actor.ID === id).map((e) => e.Action), ['create', 'start', 'die']);
  });

  it('returns the exit code of sh -c "exit 3"', async () => {
    assert.deepEqual(await output({ cmd: ['sh', '-c', 'exit 3'] }), [3, '']);
  });

  it('merges env: image, request, HOSTNAME, HOME, PATH', async () => {
    const id = await h.run({ image: 'epimg', entrypoint: ['env'], cmd: [], env: ['FOO=bar', 'FROM_IMAGE=2'] });
    await h.client.waitContainer({ id, condition: '' });
    const env = (await h.logs(id)).trim().split('\n').sort();
    assert.deepEqual(env, ['FOO=bar', 'FROM_IMAGE=2', `HOME=/root`, `HOSTNAME=${id.slice(0, 12)}`, 'PATH=/bin']);
  });

  it('uses the working dir (image default, request override, created when missing)', async () => {
    assert.deepEqual(await output({ image: 'epimg', entrypoint: ['pwd'] }), [0, '/home\n']);
    assert.deepEqual(await output({ cmd: ['pwd'], workingDir: '/srv/app' }), [0, '/srv/app\n']);
    await assert.rejects(h.create({ cmd: ['pwd'], workingDir: 'rel' }), kind('invalid_argument', /absolute path/));
  });

  it('runs as uid:gid and as a user named in /etc/passwd', async () => {
    assert.deepEqual(await output({ cmd: ['sh', '-c', 'id -u; id -g'], user: '1000:1000' }), [0, '1000\n1000\n']);
    assert.deepEqual(await output({ cmd: ['sh', '-c', 'id -u; id -G; echo $HOME'], user: 'app' }), [0, '1000\n1000 50\n/home/app\n']);
    assert.deepEqual(await output({ cmd: ['id', '-u'], user: '4242' }), [0, '4242\n']);
    const id = await h.create({ cmd: ['true'], user: 'nosuchuser' });
    await assert.rejects(h.client.startContainer({ id }), kind('invalid_argument', /unable to find user nosuchuser/));
  });

  it('combines entrypoint and cmd as Docker does', async () => {
    assert.deepEqual(await output({ image: 'epimg' }), [0, 'img-ep img-cmd\n']);
    assert.deepEqual(await output({ image: 'epimg', cmd: ['mine'] }), [0, 'img-ep mine\n']);
    assert.deepEqual(await output({ image: 'epimg', entrypoint: ['echo', 'ep2'] }), [0, 'ep2\n']);
    assert.deepEqual(await output({ image: 'epimg', entrypoint: [], cmd: ['echo', 'hi'] }), [0, 'hi\n']);
    await assert.rejects(h.create({ image: 'nocmd' }), kind('invalid_argument', /no command specified/));
  });

  it('applies Docker security defaults: capabilities, seccomp, hostname, /etc files', async () => {
    const script = 'grep -E "^(CapEff|Seccomp):" /proc/self/status; hostname; grep -c localhost /etc/hosts';
    const id = await h.run({ cmd: ['sh', '-c', script] });
    await h.client.waitContainer({ id, condition: '' });
    assert.equal(await h.logs(id), `CapEff:\t00000000a80425fb\nSeccomp:\t2\n${id.slice(0, 12)}\n2\n`);
  });

  it('networks: none has its own netns and files; host shares the host\'s', async () => {
    const hostResolv = await readFile('/etc/resolv.conf', 'utf8');
    const [, none] = await output({ cmd: ['sh', '-c', 'cat /etc/resolv.conf; ls /sys/class/net'] });
    assert.equal(none, `${hostResolv}lo\n`);
    const [, host] = await output({ cmd: ['sh', '-c', 'hostname; cat /etc/hosts'], networkMode: 'host' });
    assert.equal(host, `${hostname()}\n${await readFile('/etc/hosts', 'utf8')}`);
  });

  it('runs an init as pid 1 with --init', async () => {
    assert.deepEqual(await output({ cmd: ['sh', '-c', 'tr "\\0" " " < /proc/1/cmdline'], init: true }),
      [0, '/sbin/docker-init -- sh -c tr "\\0" " " < /proc/1/cmdline ']);
  });

  it('refuses a missing image, a taken name, an invalid name', async () => {
    await assert.rejects(h.create({ image: 'nope:1' }), kind('not_found', /^No such image: nope:1$/));
    const id = await h.create({ cmd: ['true'] }, 'web');
    await assert.rejects(h.create({ cmd: ['true'] }, '/web'), kind('already_exists',
      new RegExp(`^Conflict. The container name "/web" is already in use by container "${id}". You have to remove`)));
    await assert.rejects(h.create({ cmd: ['true'] }, 'a b'), kind('invalid_argument', /Invalid container name/));
  });

  it('finds containers by id, prefix and name; lists with filters', async () => {
    const id = await h.create({ cmd: ['true'], labels: { team: 'blue' } }, 'findme');
    for (const ref of [id, id.slice(0, 12), 'findme', '/findme']) {
      assert.equal((await h.client.getContainer({ id: ref })).container!.id, id);
    }
    await assert.rejects(h.client.getContainer({ id: 'nosuch' }), kind('not_found', /^No such container: nosuch$/));
    const list = async (filters: Array<{ key: string; values: string[] }>, all = true) =>
      (await h.client.listContainers({ all, limit: 0, filters })).containers.map((c) => c.id);
    assert.deepEqual(await list([{ key: 'label', values: ['team=blue'] }]), [id]);
    assert.deepEqual(await list([{ key: 'name', values: ['^findme$'] }]), [id]);
    assert.ok((await list([{ key: 'status', values: ['created'] }])).includes(id));
    assert.ok(!(await list([], false)).includes(id));
  });

  it('fails a start whose command does not exist with 127, and can start again', async () => {
    const id = await h.create({ cmd: ['/no/such/binary'] });
    await assert.rejects(h.client.startContainer({ id }), kind('invalid_argument', /executable file not found|no such file/i));
    const { container } = await h.client.getContainer({ id });
    assert.equal(container!.state!.status, 'created');
    assert.equal(container!.state!.exitCode, 127);
    await h.client.removeContainer({ id, force: false, removeVolumes: false });
  });

  it('auto-removes a container with auto_remove, publishing destroy', async () => {
    const id = await h.run({ cmd: ['true'], autoRemove: true });
    await h.event(id, 'destroy');
    await assert.rejects(h.client.getContainer({ id }), kind('not_found'));
  });
});
