// bench/api: the Engine API over its unix socket, berth vs dockerd in one run.
// GET /containers/json with 50 running containers (`sleep 3600`, --network none), /_ping,
// /version, /info: one keep-alive connection (2000 requests after warm-up), then 16 concurrent.
// Both engines run side by side with the same containers, and each measurement is repeated in
// `rounds` rounds that alternate which engine goes first, so drift and background noise on this
// small machine hit both alike; the figures are the medians of the rounds.
// Prints req/s, p50 and p99 per engine and the ratios berth/dockerd.
// Usage: node bench/api.mjs [containers=50] [requests=2000] [rounds=3]   (needs Debian docker.io for the peer)
import { benchStack } from './lib.mjs';
import { load, request } from './http-load.mjs';
import { startDockerd } from './dockerd.mjs';

const containers = Number(process.argv[2] ?? 50);
const requests = Number(process.argv[3] ?? 2000);
const rounds = Number(process.argv[4] ?? 3);
const ENDPOINTS = ['/containers/json', '/_ping', '/version', '/info'];

async function prepare(socket, image) {
  const pull = await request(socket, 'POST', `/images/create?fromImage=${encodeURIComponent(image)}&tag=latest`);
  if (pull.status !== 200 || /"error"/.test(pull.text)) throw new Error(`pull ${image}: ${pull.text}`);
  for (let i = 0; i < containers; i++) {
    const created = await request(socket, 'POST', '/containers/create', { Image: image, Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'none' } });
    if (created.status !== 201) throw new Error(`create: ${created.text}`);
    const started = await request(socket, 'POST', `/containers/${created.json.Id}/start`);
    if (started.status !== 204) throw new Error(`start: ${started.text}`);
  }
  const list = await request(socket, 'GET', '/containers/json');
  if (list.json.length !== containers) throw new Error(`expected ${containers} running containers, got ${list.json.length}`);
}

const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One load of path on every engine, `rounds` times, alternating which engine goes first. */
async function measure(engines, path, options) {
  const runs = Object.fromEntries(Object.keys(engines).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = Object.keys(engines);
    if (round % 2 === 1) order.reverse();
    for (const name of order) runs[name].push(await load(engines[name], path, options));
  }
  return Object.fromEntries(Object.entries(runs).map(([name, r]) => [name, {
    rps: median(r.map((x) => x.rps)), p50: median(r.map((x) => x.p50)), p99: median(r.map((x) => x.p99)), all: r.map((x) => x.rps),
  }]));
}

const berth = await benchStack();
const results = { berth: {}, dockerd: {} };
let dockerd;
try {
  console.log(`setting up ${containers} containers in berth…`);
  await prepare(berth.socket, berth.busybox);
  dockerd = await startDockerd();
  console.log(`setting up ${containers} containers in dockerd…`);
  await prepare(dockerd.socket, berth.busybox); // 127.0.0.0/8 registries are insecure by default in dockerd
  const engines = { berth: berth.socket, dockerd: dockerd.socket };
  for (const path of ENDPOINTS) {
    for (const [mode, options] of [['seq', { requests, concurrency: 1 }], ['x16', { requests: requests * 2, concurrency: 16 }]]) {
      const key = `${path} ${mode}`;
      const m = await measure(engines, path, options);
      for (const [name, r] of Object.entries(m)) {
        results[name][key] = r;
        console.log(`${name.padEnd(8)} ${key.padEnd(22)} ${r.rps.toFixed(0).padStart(7)} req/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms   rounds: ${r.all.map((x) => x.toFixed(0)).join(' ')}`);
      }
    }
  }
} finally {
  // berth's registry outlives dockerd: dockerd pulled from it.
  await dockerd?.stop();
  const list = await request(berth.socket, 'GET', '/containers/json?all=1').catch(() => ({ json: [] }));
  for (const c of list.json ?? []) await request(berth.socket, 'DELETE', `/containers/${c.Id}?force=1`);
  await berth.stop();
}

console.log(`\nbench/api: ${containers} running containers each, ${requests} sequential requests on one keep-alive connection, ${requests * 2} on 16; medians of ${rounds} alternating rounds`);
console.log('endpoint'.padEnd(26) + 'berth req/s'.padStart(12) + 'dockerd req/s'.padStart(15) + '   ratio' + '   berth p50/p99 ms'.padEnd(22) + '   dockerd p50/p99 ms');
for (const key of Object.keys(results.berth)) {
  const b = results.berth[key];
  const d = results.dockerd[key];
  console.log(
    key.padEnd(26) + b.rps.toFixed(0).padStart(12) + d.rps.toFixed(0).padStart(15) + `${(b.rps / d.rps).toFixed(2)}×`.padStart(8) +
      `   ${b.p50.toFixed(2)}/${b.p99.toFixed(2)}`.padEnd(22) + `   ${d.p50.toFixed(2)}/${d.p99.toFixed(2)}`,
  );
}
