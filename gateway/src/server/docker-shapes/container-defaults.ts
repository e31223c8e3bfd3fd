import type { runtime } from '@berth/proto';

/** Placeholders for a container record missing its state or spec, so shapes never crash on one. */
export function emptyState(): runtime.ContainerState {
  return {
    status: 'created',
    running: false,
    paused: false,
    restarting: false,
    oomKilled: false,
    dead: false,
    pid: 0,
    exitCode: 0,
    error: '',
    startedAt: '',
    finishedAt: '',
  };
}

/** A spec for a container record that came without one (never expected; shapes must not crash). */
export function emptySpec(c: runtime.Container): runtime.ContainerSpec {
  return {
    image: c.imageId,
    env: [],
    workingDir: '',
    user: '',
    hostname: '',
    domainname: '',
    labels: {},
    tty: false,
    openStdin: false,
    stopSignal: '',
    networkMode: 'default',
    autoRemove: false,
    exposedPorts: [],
    portBindings: [],
    publishAllPorts: false,
    binds: [],
    mounts: [],
    privileged: false,
    capAdd: [],
    capDrop: [],
    securityOpt: [],
    readOnlyRootfs: false,
    tmpfs: {},
    init: false,
    pidMode: '',
    ipcMode: '',
    utsMode: '',
    dns: [],
    extraHosts: [],
    attachStdin: false,
    attachStdout: false,
    attachStderr: false,
    stdinOnce: false,
    endpointsConfig: [],
  };
}
