// bench/api: the Engine API over its unix socket, berth vs dockerd in one run.
// GET /containers/json with 50 running containers (`sleep 3600`, --network none), /_ping,
// /version, /info: one keep-alive connection (2000 requests after warm-up), then 16 concurrent.
// Prints req/s, p50 and p99 per engine and the ratios berth/dockerd.
// Usage: node bench/api.mjs [containers=50] [requests=2000]   (needs Debian docker.io for the peer)
import { benchStack } from './lib.mjs';
import { load, request } from './http-load.mjs';
import { startDockerd } from './dockerd.mjs';

const containers = Number(process.argv[2] ?? 50);
const requests = Number(process.argv[3] ?? 2000);
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

async function measure(name, socket) {
  const out = {};
  for (const path of ENDPOINTS) {
    out[`${path} seq`] = await load(socket, path, { requests, concurrency: 1 });
    out[`${path} x16`] = await load(socket, path, { requests: requests * 2, concurrency: 16 });
    const r = out[`${path} seq`];
    console.log(`${name.padEnd(8)} ${path.padEnd(18)} seq ${r.rps.toFixed(0).padStart(7)} req/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms | x16 ${out[`${path} x16`].rps.toFixed(0).padStart(7)} req/s`);
  }
  return out;
}

const berth = await benchStack();
const results = {};
let dockerd;
try {
  console.log(`setting up ${containers} containers in berth…`);
  await prepare(berth.socket, berth.busybox);
  results.berth = await measure('berth', berth.socket);
  // berth's services go away before dockerd comes (its registry stays: dockerd pulls from it).
  const list = await request(berth.socket, 'GET', '/containers/json?all=1');
  for (const c of list.json ?? []) await request(berth.socket, 'DELETE', `/containers/${c.Id}?force=1`);
  await berth.stack.stop();
  dockerd = await startDockerd();
  console.log(`setting up ${containers} containers in dockerd…`);
  await prepare(dockerd.socket, berth.busybox); // 127.0.0.0/8 registries are insecure by default in dockerd
  results.dockerd = await measure('dockerd', dockerd.socket);
} finally {
  await dockerd?.stop();
  await berth.stop();
}

console.log(`\nbench/api: ${containers} running containers, ${requests} sequential requests on one keep-alive connection, ${requests * 2} on 16`);
console.log('endpoint'.padEnd(26) + 'berth req/s'.padStart(12) + 'dockerd req/s'.padStart(15) + '   ratio' + '   berth p50/p99 ms'.padEnd(22) + '   dockerd p50/p99 ms');
for (const key of Object.keys(results.berth)) {
  const b = results.berth[key];
  const d = results.dockerd[key];
  console.log(
    key.padEnd(26) + b.rps.toFixed(0).padStart(12) + d.rps.toFixed(0).padStart(15) + `${(b.rps / d.rps).toFixed(2)}×`.padStart(8) +
      `   ${b.p50.toFixed(2)}/${b.p99.toFixed(2)}`.padEnd(22) + `   ${d.p50.toFixed(2)}/${d.p99.toFixed(2)}`,
  );
}
