import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptySpec } from '../domain/container.js';
import { buildSpec, type SpecInput } from './spec-builder.js';
import { toOciSeccomp, type DockerSeccomp } from './seccomp.js';
import { DEFAULT_CAPABILITIES, effectiveCapabilities } from './spec-defaults.js';

const input = (over: Partial<SpecInput> = {}): SpecInput => ({
  spec: emptySpec('busybox'), args: ['sh'], env: ['PATH=/bin'], user: { uid: 0, gid: 0, additionalGids: [], home: '/root' },
  hostname: 'h', rootfs: '/b/rootfs', etcFiles: { hostname: '/b/hostname', hosts: '/b/hosts', resolvConf: '/b/resolv.conf' },
  cgroupsPath: '/berth/abc', ...over,
});

describe('OCI spec', () => {
  it("has Docker's defaults and never sets rlimits", () => {
    const s = buildSpec(input()) as any;
    assert.deepEqual(s.process.capabilities.bounding, [...DEFAULT_CAPABILITIES]);
    assert.equal(s.process.rlimits, undefined);
    assert.equal(s.linux.cgroupsPath, '/berth/abc');
    assert.deepEqual(s.linux.namespaces.map((n: any) => n.type), ['pid', 'ipc', 'uts', 'mount', 'network']);
    assert.ok(s.linux.maskedPaths.includes('/proc/kcore'));
    assert.ok(s.linux.readonlyPaths.includes('/proc/sys'));
    const dests = s.mounts.map((m: any) => m.destination);
    assert.ok(dests.indexOf('/dev') < dests.indexOf('/dev/shm') && dests.includes('/etc/resolv.conf'));
  });

  it('shares the host netns read-only etc files, or joins a netns path', () => {
    const host = buildSpec(input({ netns: 'host' })) as any;
    assert.ok(!host.linux.namespaces.some((n: any) => n.type === 'network'));
    assert.ok(host.mounts.find((m: any) => m.destination === '/etc/hosts').options.includes('ro'));
    const shared = buildSpec(input({ spec: { ...emptySpec('b'), pidMode: 'host', utsMode: 'host' } })) as any;
    assert.deepEqual(shared.linux.namespaces.map((n: any) => n.type), ['ipc', 'mount', 'network']);
    assert.equal(shared.hostname, undefined);
    const joined = buildSpec(input({ netns: '/run/berth/netns/x' })) as any;
    assert.deepEqual(joined.linux.namespaces.find((n: any) => n.type === 'network'), { type: 'network', path: '/run/berth/netns/x' });
  });

  it('adds and drops capabilities (ALL too), privileged gets all', () => {
    assert.deepEqual(effectiveCapabilities({ privileged: false, capAdd: [], capDrop: ['ALL'] }), []);
    assert.deepEqual(effectiveCapabilities({ privileged: false, capAdd: ['net_admin'], capDrop: ['ALL'] }), ['CAP_NET_ADMIN']);
    assert.ok(!effectiveCapabilities({ privileged: false, capAdd: [], capDrop: ['CHOWN'] }).includes('CAP_CHOWN'));
    assert.equal(effectiveCapabilities({ privileged: true, capAdd: [], capDrop: [] }).length, 41);
    assert.throws(() => effectiveCapabilities({ privileged: false, capAdd: ['FLY'], capDrop: [] }), /unknown capability/);
  });

  it('converts a Docker seccomp profile by capability and architecture', () => {
    const profile: DockerSeccomp = {
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38,
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
        { names: ['s390_pci_mmio_read'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['s390x'] } },
        { names: ['chroot'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_CHROOT'] } },
        { names: ['chroot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_CHROOT'] } },
      ],
    };
    const withChroot = toOciSeccomp(profile, ['CAP_SYS_CHROOT'], 'x64');
    assert.deepEqual(withChroot.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    assert.deepEqual(withChroot.syscalls.map((s) => `${s.names[0]}:${s.action}`), ['read:SCMP_ACT_ALLOW', 'arch_prctl:SCMP_ACT_ALLOW', 'chroot:SCMP_ACT_ALLOW']);
    const without = toOciSeccomp(profile, [], 'x64');
    assert.deepEqual(without.syscalls.at(-1), { names: ['chroot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
    assert.equal(without.defaultErrnoRet, 38);
    assert.deepEqual(toOciSeccomp(profile, [], 'x64', { subArchitectures: false }).architectures, ['SCMP_ARCH_X86_64']);
  });
});
