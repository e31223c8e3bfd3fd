import { EventEmitter, once } from 'node:events';
import { BerthError, newId, type Handlers } from '@berth/kit';
import type { runtime } from '@berth/proto';
import { emptyState } from '../docker-shapes/container-defaults.js';
import type { InMemoryImages } from './in-memory-images.js';
import { networkNameForMode } from '../docker-shapes/container-network.js';

/** As the runtime records it: the network NetworkMode names (none, host and container:<id> are not networks). */
function primaryNetwork(mode: string): runtime.NetworkAttachment[] {
  const name = networkNameForMode(mode);
  return name === undefined || name === 'none' || name === 'host' ? [] : [{ config: { network: name, aliases: [], ipv4Address: '' }, networkId: '' }];
}

/**
 * A runtime service kept in memory for the gateway's server test. A started container "runs" its
 * command by printing it (`echo`-like: its args on stdout, "err" on stderr when asked) and exits
 * with the code given as `exit <n>`, or keeps running for `sleep`.
 */
export class InMemoryRuntime {
  readonly containers = new Map<string, runtime.Container>();
  private readonly logs = new Map<string, runtime.LogEntry[]>();
  private readonly changes = new EventEmitter().setMaxListeners(0);

  constructor(private readonly images: InMemoryImages) {}

  get(idOrName: string): runtime.Container {
    for (const c of this.containers.values()) if (c.id === idOrName || c.name === idOrName || c.id.startsWith(idOrName)) return c;
    throw new BerthError('not_found', `No such container: ${idOrName}`);
  }

  private setState(c: runtime.Container, state: Partial<runtime.ContainerState>): void {
    c.state = { ...c.state!, ...state };
    this.changes.emit('change', c.id);
  }

  private run(c: runtime.Container): void {
    const argv = [...(c.spec?.entrypoint?.values ?? []), ...(c.spec?.cmd?.values ?? ['/hello'])];
    const now = new Date().toISOString();
    this.setState(c, { status: 'running', running: true, pid: 4242, startedAt: now });
    if (argv[0] === 'sleep') return;
    const log = (stream: number, text: string) =>
      this.logs.get(c.id)!.push({ stream, data: Buffer.from(text), timestamp: new Date().toISOString() });
    log(1, `${argv.join(' ')}\n`);
    if (argv.includes('err')) log(2, 'err\n');
    const code = argv[0] === 'exit' ? Number(argv[1]) : 0;
    setTimeout(() => this.exit(c, code), 20);
  }

  private exit(c: runtime.Container, code: number): void {
    this.setState(c, { status: 'exited', running: false, pid: 0, exitCode: code, finishedAt: new Date().toISOString() });
    if (c.spec?.autoRemove) this.remove(c.id);
  }

  private remove(id: string): void {
    this.containers.delete(id);
    this.changes.emit('change', id);
  }

  private async until(id: string, done: () => boolean, signal: AbortSignal): Promise<void> {
    while (!done()) await once(this.changes, 'change', { signal });
  }

  handlers(): Partial<Handlers<runtime.ContainersService>> {
    return {
      createContainer: async ({ name, spec }) => {
        const img = this.images.find(spec!.image);
        if (!img) throw new BerthError('not_found', `No such image: ${spec!.image}`);
        const id = newId();
        const c: runtime.Container = {
          id, name: name || `c_${id.slice(0, 6)}`, imageId: img.id, created: new Date().toISOString(), spec, state: emptyState(),
          path: '', args: [], restartCount: 0, logPath: '', runtime: 'runc', imageConfig: img.config, rootfsMounts: [], netnsPath: '',
          networks: primaryNetwork(spec!.networkMode), ports: [],
        };
        for (const other of this.containers.values()) if (other.name === c.name) throw new BerthError('already_exists', `Conflict. The container name "/${c.name}" is already in use`);
        this.containers.set(id, c);
        this.logs.set(id, []);
        return { container: c, warnings: [] };
      },
      startContainer: async ({ id }) => {
        const c = this.get(id);
        if (c.state!.running) return { alreadyRunning: true };
        this.run(c);
        return { alreadyRunning: false };
      },
      stopContainer: async ({ id }) => {
        const c = this.get(id);
        if (!c.state!.running) return { alreadyStopped: true };
        this.exit(c, 143);
        return { alreadyStopped: false };
      },
      killContainer: async ({ id }) => {
        const c = this.get(id);
        if (!c.state!.running) throw new BerthError('failed_precondition', `Container ${c.id} is not running`);
        this.exit(c, 137);
        return {};
      },
      waitContainer: async ({ id, condition }, ctx) => {
        const c = this.get(id);
        if (condition === 'removed') await this.until(c.id, () => !this.containers.has(c.id), ctx.signal);
        else if (condition === 'next-exit') await this.until(c.id, () => c.state!.status === 'exited' && c.state!.finishedAt !== '', ctx.signal);
        else await this.until(c.id, () => !c.state!.running && c.state!.status !== 'created', ctx.signal);
        return { exitCode: c.state!.exitCode, error: '' };
      },
      removeContainer: async ({ id, force }) => {
        const c = this.get(id);
        if (c.state!.running && !force) throw new BerthError('failed_precondition', `cannot remove container "/${c.name}": container is running`);
        this.remove(c.id);
        return {};
      },
      getContainer: async ({ id }) => ({ container: this.get(id) }),
      listContainers: async ({ all }) => ({ containers: [...this.containers.values()].filter((c) => all || c.state!.running) }),
      containerLogs: (req, ctx) => this.readLogs(req, ctx.signal),
      connectNetwork: async ({ id, endpoint }) => {
        const c = this.get(id);
        if (c.networks.some((a) => a.config?.network === endpoint!.network)) throw new BerthError('permission_denied', `endpoint with name ${c.name} already exists in network ${endpoint!.network}`);
        c.networks.push({ config: endpoint!, networkId: '' });
        return {};
      },
      disconnectNetwork: async ({ id, network, force }) => {
        const c = this.get(id);
        const kept = c.networks.filter((a) => a.config?.network !== network);
        if (kept.length === c.networks.length && !force) throw new BerthError('failed_precondition', `container ${c.id} is not connected to network ${network}`);
        c.networks = kept;
        return {};
      },
    };
  }

  private async *readLogs(req: runtime.ContainerLogsRequest, signal: AbortSignal): AsyncGenerator<runtime.LogEntry> {
    const c = this.get(req.id);
    const entries = this.logs.get(c.id)!;
    const since = req.since ? Number(req.since) * 1000 : 0;
    let sent = 0;
    for (;;) {
      for (; sent < entries.length; sent++) {
        const e = entries[sent]!;
        if ((e.stream === 1 ? req.stdout : req.stderr) && Date.parse(e.timestamp) >= Math.floor(since)) yield e;
      }
      if (!req.follow || !c.state!.running) return;
      await once(this.changes, 'change', { signal });
    }
  }
}
