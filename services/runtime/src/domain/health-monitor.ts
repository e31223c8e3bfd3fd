import { newId } from '@berth/kit';
import { buildExecProcess } from '../oci/exec-process.js';
import { readFileInRoot } from '../oci/rootfs-path.js';
import { Status, type Container, type HealthState, type Healthcheck } from './container.js';
import { mustGet, publish, type RuntimeContext } from './context.js';
import { activeHealthcheck, HEALTH_DEFAULTS } from './healthcheck-config.js';
import { processEnv } from './process-config.js';
import { applyHealthResult, type ProbeResult } from './health-state.js';
import { resolveUser } from './user.js';
import { onUnhealthy } from './health-actions.js';
import { nowRfc3339 } from './time.js';

const MAX_OUTPUT = 4096;

/**
 * Docker's healthchecks: each running container with a healthcheck is probed (its test run as an
 * exec) every interval (every start interval during the start period), each probe bounded by the
 * timeout. Results go to State.Health; a change of status publishes `health_status: <status>`,
 * and turning unhealthy triggers --health-on-failure. In memory, restarted for running
 * containers after a restart of this service. Probes are not user execs: no exec events.
 */
export class HealthMonitors {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly ctx: RuntimeContext) {}

  /** At a start: status `starting`, the first probe after the (start) interval. */
  started(c: Container): void {
    const hc = activeHealthcheck(c.spec);
    if (!hc) return;
    this.ctx.db.updateState(c.id, { health: { status: 'starting', failingStreak: 0, log: [] } });
    this.schedule(c.id, hc, Date.parse(c.state.startedAt) || Date.now());
  }

  /** After a restart of this service: resume probing a running container, its health as stored. */
  resume(c: Container): void {
    const hc = activeHealthcheck(c.spec);
    if (hc) this.schedule(c.id, hc, Date.parse(c.state.startedAt) || Date.now());
  }

  stopped(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(id: string, hc: Healthcheck, startedAtMs: number): void {
    const startPeriod = hc.startPeriodNs / 1e6;
    const inStart = Date.now() < startedAtMs + startPeriod;
    const every = (inStart && hc.startIntervalNs ? hc.startIntervalNs : hc.intervalNs || HEALTH_DEFAULTS.intervalNs) / 1e6;
    clearTimeout(this.timers.get(id));
    const timer = setTimeout(() => void this.tick(id, hc, startedAtMs), every);
    timer.unref();
    this.timers.set(id, timer);
  }

  private async tick(id: string, hc: Healthcheck, startedAtMs: number): Promise<void> {
    this.timers.delete(id);
    const c = this.ctx.db.get(id);
    if (!c || c.state.status !== Status.Running) return; // stopped (or paused: Docker skips probes then)
    const start = nowRfc3339();
    const result = await this.probe(c, hc).catch((err: unknown): ProbeResult => ({ exitCode: -1, output: (err as Error).message }));
    const current = this.ctx.db.get(id);
    if (!current || current.state.status !== Status.Running || current.state.startedAt !== c.state.startedAt) return;
    const inStartPeriod = Date.now() < startedAtMs + hc.startPeriodNs / 1e6;
    const before: HealthState = current.health ?? { status: 'starting', failingStreak: 0, log: [] };
    const after = applyHealthResult(before, { ...result, start, end: nowRfc3339() }, hc.retries || HEALTH_DEFAULTS.retries, inStartPeriod);
    this.ctx.db.updateState(id, { health: after });
    if (after.status !== before.status) await publish(this.ctx, mustGet(this.ctx, id), `health_status: ${after.status}`);
    this.schedule(id, hc, startedAtMs);
    if (after.status === 'unhealthy' && before.status !== 'unhealthy') await onUnhealthy(this.ctx, mustGet(this.ctx, id));
  }

  /** One run of the test in the container, bounded by the timeout (then killed: exit code -1). */
  private async probe(c: Container, hc: Healthcheck): Promise<ProbeResult> {
    const args = hc.test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', hc.test[1]!] : hc.test.slice(1);
    const user = await resolveUser(c.spec.user, (p) => readFileInRoot(this.ctx.paths.rootfs(c.id), p));
    const proc = buildExecProcess({
      container: c.spec, args, env: processEnv(c.spec, c.spec.hostname, user.home), user, cwd: c.spec.workingDir,
      tty: false, privileged: false, availableCaps: this.ctx.hostCaps,
    });
    const handle = await this.ctx.monitor.exec({ containerId: c.id, execId: newId(), process: proc, tty: false, stdin: false, attach: true });
    const timeoutMs = (hc.timeoutNs || HEALTH_DEFAULTS.timeoutNs) / 1e6;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(handle.pid, 'SIGKILL');
      } catch {
        // it ended just now
      }
    }, timeoutMs);
    let output = '';
    try {
      for await (const f of handle.io!.frames()) if (output.length < MAX_OUTPUT) output += f.data.toString('utf8');
      const exitCode = await handle.exit;
      if (timedOut) return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` };
      return { exitCode, output: output.slice(0, MAX_OUTPUT) };
    } finally {
      clearTimeout(timer);
    }
  }
}
