import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createClient, createLogger, loadConfig, RecordingEventPublisher, runCommand, silentLogger,
  type BerthConfig, type Client, type DockerEvent,
} from '@berth/kit';
import { runtime } from '@berth/proto';
import { start, type RuntimeService } from '../index.js';
import { emptySpec, type ContainerSpec } from '../domain/container.js';
import { specToProto } from '../grpc/convert.js';
import { mountPoints } from '../oci/rootfs-mounter.js';
import { LocalImageProvider } from './local-image-provider.js';
import { OutputCollector, RequestQueue } from './stdio-client.js';

export type ContainersClient = Client<typeof runtime.ContainersService>;

/**
 * A real runtime service in this process: temp state and run roots (short, for sun_path), a local
 * busybox ImageProvider with real overlay snapshots, a recording event publisher, a gRPC client.
 * `cleanup()` leaves nothing behind, even when a test failed half way.
 */
export class RuntimeHarness {
  client!: ContainersClient;
  service: RuntimeService | undefined;
  readonly events = new RecordingEventPublisher();
  private disarm = () => {};
  private logCheckMs: number | undefined;

  private constructor(readonly root: string, public config: BerthConfig, readonly images: LocalImageProvider) {}

  /** `runtime` overrides the runtime config (log rotation limits in tests). */
  static async create(opts: { runtime?: Partial<BerthConfig['runtime']>; logCheckMs?: number } = {}): Promise<RuntimeHarness> {
    const root = await mkdtemp(path.join(tmpdir(), 'brt-'));
    const config = loadConfig({
      env: {},
      file: null,
      overrides: {
        stateRoot: path.join(root, 's'),
        runRoot: path.join(root, 'r'),
        addresses: { runtime: `unix://${root}/runtime.sock` },
        // The runtime a user gets (auto: crun when it works, else runc) unless a test or BERTH_TEST_OCI_RUNTIME names one.
        runtime: { cgroupParent: 'berth', ociRuntime: process.env.BERTH_TEST_OCI_RUNTIME ?? 'auto', ...opts.runtime },
      },
    });
    const h = new RuntimeHarness(root, config, await LocalImageProvider.create(path.join(root, 'images')));
    h.logCheckMs = opts.logCheckMs;
    const lastResort = () => forceCleanupSync(root, path.join(config.runRoot, 'runtime'));
    process.once('exit', lastResort); // a test process that dies without its after() hooks
    h.disarm = () => process.removeListener('exit', lastResort);
    await h.startService();
    return h;
  }

  /** `runtime` overrides the runtime config from now on (a restart with another OCI runtime). */
  async startService(runtimeConfig: Partial<BerthConfig['runtime']> = {}): Promise<void> {
    this.config = { ...this.config, runtime: { ...this.config.runtime, ...runtimeConfig } };
    const logger = process.env.BERTH_TEST_LOG ? createLogger({ service: 'runtime', level: process.env.BERTH_TEST_LOG }) : silentLogger();
    this.service = await start(this.config, {
      logger, events: this.events, images: this.images, network: null, sweepMs: 500, ...(this.logCheckMs ? { logCheckMs: this.logCheckMs } : {}),
    });
    this.client = createClient(runtime.ContainersService, this.service.address);
  }

  /** Stops the service as a crash would, as far as containers go: they keep running. */
  async stopService(): Promise<void> {
    this.client.close();
    await this.service?.close();
    this.service = undefined;
  }

  /** Creates a container from a partial spec (busybox, network "none" unless said otherwise). */
  async create(spec: Partial<ContainerSpec>, name = ''): Promise<string> {
    const full = specToProto({ ...emptySpec('busybox'), networkMode: 'none', ...spec });
    const res = await this.client.createContainer({ name, spec: full });
    return res.container!.id;
  }

  async run(spec: Parameters<RuntimeHarness['create']>[0], name = ''): Promise<string> {
    const id = await this.create(spec, name);
    await this.client.startContainer({ id });
    return id;
  }

  async logs(id: string, opts: Partial<runtime.ContainerLogsRequest> = {}): Promise<string> {
    let out = '';
    for await (const e of this.client.containerLogs({ id, stdout: true, stderr: true, follow: false, since: '', until: '', tail: '', ...opts })) {
      out += e.data.toString('utf8');
    }
    return out;
  }

  /** Creates and starts an exec, feeds it `stdin` (then closes it) and returns its output and exit code. */
  async exec(id: string, cmd: string[], opts: Partial<runtime.CreateExecRequest> & { stdin?: string } = {}): Promise<{ exitCode: number; stdout: string; stderr: string; execId: string }> {
    const { stdin, ...create } = opts;
    const { id: execId } = await this.client.createExec({
      containerId: id, cmd, env: [], user: '', workingDir: '', tty: false, privileged: false, attachStdin: stdin !== undefined,
      attachStdout: true, attachStderr: true, detachKeys: '', ...create,
    });
    const input = new RequestQueue<runtime.StartExecRequest>();
    input.push({ options: { id: execId, detach: false } });
    if (stdin) input.push({ input: { data: Buffer.from(stdin) } });
    input.end();
    const out = new OutputCollector();
    let exitCode = -1;
    for await (const r of this.client.startExec(input)) {
      if (r.output) out.add(r.output);
      if (r.exit) exitCode = r.exit.exitCode;
    }
    return { exitCode, stdout: out.stdout, stderr: out.stderr, execId };
  }

  event(id: string, action: string, timeoutMs = 15_000): Promise<DockerEvent> {
    return this.events.waitFor((e) => e.Actor.ID === id && e.Action === action, timeoutMs);
  }

  async cleanup(): Promise<void> {
    if (this.service) {
      const { containers } = await this.client.listContainers({ all: true, limit: 0, filters: [] }).catch(() => ({ containers: [] }));
      for (const c of containers) await this.client.removeContainer({ id: c.id, force: true, removeVolumes: false }).catch(() => undefined);
      await this.stopService();
    }
    await forceCleanup(this.root, path.join(this.config.runRoot, 'runtime'));
    this.disarm();
  }
}

/** Each OCI runtime's state root under the runtime service's run dir, with the command that manages it. */
function runtimeRoots(runDir: string): Array<{ root: string; binary: string }> {
  const wrapper = path.join(runDir, 'crun-v1-view'); // crun on a cgroup-hybrid host
  let crun = 'crun';
  try {
    statSync(wrapper);
    crun = wrapper;
  } catch {
    // crun runs as itself here
  }
  return [{ root: path.join(runDir, 'runc'), binary: 'runc' }, { root: path.join(runDir, 'crun'), binary: crun }];
}

/** Whatever a failed test left: runtime containers (and their cgroups, conmons), mounts, files. */
async function forceCleanup(root: string, runDir: string): Promise<void> {
  for (const r of runtimeRoots(runDir)) {
    const ids = await readdir(r.root).catch(() => [] as string[]);
    for (const id of ids) await runCommand(r.binary, ['--root', r.root, 'delete', '--force', id], { okCodes: [0, 1] }).catch(() => undefined);
  }
  const mounts = (await mountPoints()).filter((m) => m.startsWith(`${root}/`)).sort().reverse();
  for (const m of mounts) await runCommand('umount', ['-l', m], { okCodes: [0, 32] }).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
}

/** The same, synchronously, for process exit: runtime containers (killing them), mounts, files. */
function forceCleanupSync(root: string, runDir: string): void {
  const quiet = { stdio: 'ignore' as const, timeout: 10_000 };
  for (const r of runtimeRoots(runDir)) {
    const ids = (() => {
      try {
        return readdirSync(r.root);
      } catch {
        return [];
      }
    })();
    for (const id of ids) spawnSync(r.binary, ['--root', r.root, 'delete', '--force', id], quiet);
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
  for (const m of mounts.filter((x) => x.startsWith(`${root}/`)).sort().reverse()) spawnSync('umount', ['-l', m], quiet);
  rmSync(root, { recursive: true, force: true });
}
