import path from 'node:path';

/**
 * Where the runtime service keeps things.
 *
 * Persistent, `<stateRoot>/runtime/`: `runtime.db`, and per container `containers/<id>/` — the OCI
 * bundle (config.json, rewritten at every start), the rootfs mount point, hostname/hosts/resolv.conf
 * and `container.log` (conmon's k8s-file log). conmon also puts its ctl/winsz fifos and attach
 * socket in the bundle, as podman's userdata dir.
 *
 * Volatile, `<runRoot>/runtime/` (gone with a reboot, like the containers themselves): `runc/` or
 * `crun/` (the OCI runtime's --root), `crun-v1-view` (see oci/crun-v1-view.ts), `attach.sock` (the attach relays' hub, oci/attach-relay.ts), `exits/` (conmon's exit files), `sockets/` (conmon's --socket-dir-path) and
 * `containers/<id>/` (pid files, the runtime's log, `execs/<exec id>/`). Named volumes live in
 * `<stateRoot>/runtime/volumes/<name>/_data` (Docker's local driver layout).
 */
export class RuntimePaths {
  readonly state: string;
  readonly run: string;

  constructor(stateRoot: string, runRoot: string) {
    this.state = path.join(stateRoot, 'runtime');
    this.run = path.join(runRoot, 'runtime');
  }

  get db(): string { return path.join(this.state, 'runtime.db'); }
  /** The OCI runtime's --root: `runc/` or `crun/`, each runtime keeping its own containers. */
  runtimeRoot(name: string): string { return path.join(this.run, name); }
  get exitDir(): string { return path.join(this.run, 'exits'); }
  get socketDir(): string { return path.join(this.run, 'sockets'); }
  get attachHub(): string { return path.join(this.run, 'attach.sock'); }

  bundle(id: string): string { return path.join(this.state, 'containers', id); }
  rootfs(id: string): string { return path.join(this.bundle(id), 'rootfs'); }
  logFile(id: string): string { return path.join(this.bundle(id), 'container.log'); }
  runDir(id: string): string { return path.join(this.run, 'containers', id); }
  pidFile(id: string): string { return path.join(this.runDir(id), 'pid'); }
  monitorPidFile(id: string): string { return path.join(this.runDir(id), 'conmon.pid'); }
  runtimeLog(id: string): string { return path.join(this.runDir(id), 'runtime.log'); }
  exitFile(id: string): string { return path.join(this.exitDir, id); }
  /** conmon's control fifo for a container or exec ("1 h w" resizes, "2 0 0" reopens the log). */
  ctlFifo(bundleOrExecDir: string): string { return path.join(bundleOrExecDir, 'ctl'); }
  /** An exec's files: process.json, pid, exit, conmon's fifos and attach socket. Gone with the container's run dir. */
  execDir(id: string, execId: string): string { return path.join(this.runDir(id), 'execs', execId); }
  /** The short path conmon links to a bundle (or exec dir), so the attach socket fits sun_path. */
  socketLink(uuid: string): string { return path.join(this.socketDir, uuid); }
  attachSocket(uuid: string): string { return path.join(this.socketLink(uuid), 'attach'); }
  volumesDir(): string { return path.join(this.state, 'volumes'); }
}
