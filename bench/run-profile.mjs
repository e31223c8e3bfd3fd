// bench/run-profile: where one `docker run --rm busybox true` spends its time in berth — no peers.
// Starts a throwaway stack with debug logs, runs the stock docker CLI N times per network mode,
// then prints the wall-time medians, the gateway's requests (ms each, relative start) and the
// runtime's per-step laps (create / start / exit / remove), medians over the runs. With --strace,
// one more run per mode is traced (`strace -f -e trace=execve` on every berth process) and the
// binaries spawned are counted. Asserts nothing; leaves nothing behind.
// Usage: node bench/run-profile.mjs [runs] [--strace] [--modes none,bridge]   (as root, after `npm run build`;
// BERTH_OCI_RUNTIME=runc to profile runc instead of what auto picks)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchStack } from './lib.mjs';

const args = process.argv.slice(2);
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 15);
const traced = args.includes('--strace');
const modesArg = args[args.indexOf('--modes') + 1];
const modes = args.includes('--modes') && modesArg ? modesArg.split(',') : ['none', 'bridge'];
const DOCKER_CLI = '/usr/local/bin/docker';
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-prof-'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : NaN;
};

function timeRun(cmd, argv, env) {
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return { ms, t0: performance.timeOrigin + t0 };
}

function logLines(file) {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
    try {
      const o = JSON.parse(l); if (typeof o.time === "string") o.time = Date.parse(o.time); return o;
    } catch {
      return undefined;
    }
  }).filter(Boolean);
}

const b = await benchStack({ ...(process.env.BERTH_OCI_RUNTIME ? { BERTH_OCI_RUNTIME: process.env.BERTH_OCI_RUNTIME } : {}), BERTH_LOG_LEVEL: 'debug', BERTH_BRIDGE_NAME: 'berthpf0', BERTH_BRIDGE_SUBNET: '10.198.0.0/16', BERTH_DNS_UPSTREAMS: '127.0.0.1:9' });
try {
  const env = { PATH: process.env.PATH, DOCKER_HOST: `unix://${b.socket}`, DOCKER_CONFIG: path.join(work, 'cli') };
  timeRun(DOCKER_CLI, ['pull', '-q', b.busybox], env);
  const pids = b.stack.processes.map((p) => p.pid);
  for (const mode of modes) {
    const net = mode === 'bridge' ? [] : ['--network', mode];
    const argv = ['run', '--rm', ...net, b.busybox, 'true'];
    for (let i = 0; i < 3; i++) timeRun(DOCKER_CLI, argv, env);
    const windows = [];
    for (let i = 0; i < runs; i++) {
      const r = timeRun(DOCKER_CLI, argv, env);
      windows.push({ from: r.t0, to: r.t0 + r.ms, ms: r.ms });
      await new Promise((res) => setTimeout(res, 150)); // background teardown settles between runs
    }
    console.log(`\n== ${mode}: docker run --rm ${net.join(' ')} busybox true — ${runs} runs, median ${median(windows.map((w) => w.ms)).toFixed(1)} ms (min ${Math.min(...windows.map((w) => w.ms)).toFixed(1)})`);
    // gateway requests per run: offset from the CLI's start and duration
    const gw = logLines(path.join(b.stack.logDir, 'gateway.log')).filter((l) => l.msg === 'request');
    const reqs = new Map();
    for (const w of windows) {
      for (const l of gw.filter((x) => x.time >= w.from && x.time <= w.to + 5)) {
        const key = `${l.method} ${String(l.url).replace(/[0-9a-f]{64}/, '{id}').replace(/\?.*/, '')}`;
        const e = reqs.get(key) ?? { start: [], ms: [] };
        e.start.push(l.time - l.ms - w.from);
        e.ms.push(l.ms);
        reqs.set(key, e);
      }
    }
    console.log('gateway request'.padEnd(48) + 'starts at ms'.padStart(13) + 'takes ms'.padStart(10));
    for (const [k, e] of [...reqs].sort((x, y) => median(x[1].start) - median(y[1].start))) {
      console.log(k.padEnd(48) + median(e.start).toFixed(1).padStart(13) + median(e.ms).toFixed(1).padStart(10));
    }
    const rt = [...logLines(path.join(b.stack.logDir, 'runtime.log')), ...logLines(path.join(b.stack.logDir, 'network.log')).map((l) => ({ ...l, msg: `network: ${l.msg}`, ...(typeof l.ms === 'number' ? { ms: { total: l.ms } } : {}) }))].map((l) => (l.at && typeof l.at === 'object' ? { ...l, ms: l.at, msg: `${l.msg} (ms from its start)` } : l)).filter((l) => l.ms && typeof l.ms === 'object' && windows.some((w) => l.time >= w.from && l.time <= w.to + 5));
    const laps = new Map();
    for (const l of rt) for (const [k, v] of Object.entries(l.ms)) {
      const key = `${l.msg}: ${k}`;
      laps.set(key, [...(laps.get(key) ?? []), v]);
    }
    console.log('runtime step'.padEnd(48) + 'median ms'.padStart(13));
    for (const [k, v] of laps) console.log(k.padEnd(48) + median(v).toFixed(1).padStart(13));
    if (traced) {
      const out = path.join(work, `strace-${mode}`);
      const st = spawn('strace', ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', out, ...pids.flatMap((p) => ['-p', String(p)])], { stdio: 'ignore' });
      await new Promise((res) => setTimeout(res, 1000));
      timeRun(DOCKER_CLI, argv, env);
      await new Promise((res) => setTimeout(res, 1000));
      st.kill('SIGINT');
      await new Promise((res) => st.once('exit', res));
      const execs = readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('execve(') && !l.includes('ENOENT'));
      const counts = new Map();
      for (const l of execs) {
        const m = /execve\("([^"]+)", \[([^\]]*)\]/.exec(l);
        if (!m) continue;
        const words = m[2].split(', ').slice(0, 3).map((s) => s.replace(/"/g, '')).join(' ');
        counts.set(words, (counts.get(words) ?? 0) + 1);
      }
      console.log(`process spawns by berth in one run: ${execs.length}`);
      for (const [k, n] of counts) console.log(`  ${String(n).padStart(3)}  ${k.slice(0, 90)}`);
    }
  }
} finally {
  await b.stop();
  rmSync(work, { recursive: true, force: true });
}
