// bench/proxy: 4 concurrent pulls (plain HTTP GETs of the manifest and every blob, as a client
// does) of a ~200 MB image, directly from docker-registry (CNCF Distribution) and through a WARM
// berth pull-through proxy in front of it, in one run. Prints throughput (MB/s) and the ratio.
// Usage (repo root, after `npm run build`): node bench/proxy.mjs [rounds] [concurrency]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageBuilder, pushImage, startRegistry, tempDir } from '@berth/fixtures';

const rounds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 4);
const here = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** GET, reading and dropping the body; resolves to the number of bytes received. */
function get(url, accept) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: accept ? { accept } : {} }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
        return;
      }
      let n = 0;
      res.on('data', (chunk) => (n += chunk.length));
      res.once('end', () => resolve(n));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
}

function getJson(url, accept) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent, headers: { accept } }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.once('end', () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(parts))) : reject(new Error(`GET ${url}: HTTP ${res.statusCode}`))));
    }).once('error', reject);
  });
}

/** One pull as a client does it: the manifest, then config and layers (3 at a time, like docker). */
async function pull(base, repo) {
  const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
  const manifest = await getJson(`${base}/v2/${repo}/manifests/latest`, accept);
  const blobs = [manifest.config, ...manifest.layers].map((d) => d.digest);
  let bytes = 0;
  const queue = [...blobs];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let d = queue.shift(); d; d = queue.shift()) bytes += await get(`${base}/v2/${repo}/blobs/${d}`);
    }),
  );
  return bytes;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The docker-registry process serving a fixture (found by its config path). */
function registryPid(registry) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`${registry.dir}/config.yml`)) return Number(entry);
    } catch {
      // the process went away while we looked
    }
  }
  throw new Error('docker-registry process not found');
}

async function round(base, repo, pid) {
  const cpu = cpuSeconds(pid);
  const started = performance.now();
  const sizes = await Promise.all(Array.from({ length: concurrency }, () => pull(base, repo)));
  const seconds = (performance.now() - started) / 1000;
  const bytes = sizes.reduce((a, b) => a + b, 0);
  return { bytes, seconds, mbps: bytes / MiB / seconds, cpuPerGiB: (cpuSeconds(pid) - cpu) / (bytes / 1024 / MiB) };
}

async function startProxy(stateRoot, upstream) {
  const settings = { address: '127.0.0.1:0', upstreams: [upstream], maxCacheBytes: 4 * 1024 * MiB };
  const child = spawn(process.execPath, [path.join(here, 'proxy-server.mjs'), stateRoot, JSON.stringify(settings)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`proxy exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', resolve);
  });
  return { address: JSON.parse(line).proxy, pid: child.pid, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Requests the proxy made to its upstreams so far (from its /metrics): 0 more means a warm run. */
async function upstreamRequests(proxyAddress) {
  const text = await (await fetch(`http://${proxyAddress}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('berth_proxy_upstream_requests_total'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

const dir = tempDir('berth-bench-proxy-');
let registry;
let proxy;
let image;
try {
  registry = await startRegistry();
  const builder = new ImageBuilder().config({ Cmd: ['sh'] });
  for (let i = 0; i < 5; i++) builder.layer((l) => l.randomFile(`/data/${i}.bin`, 40 * MiB, `bench-${i}`), { compression: 'none' });
  image = await builder.build();
  await pushImage(registry, 'big', 'latest', image);
  const total = [image.config, ...image.layers].reduce((a, b) => a + b.size, 0);
  proxy = await startProxy(dir.path, registry.host);
  const direct = `http://${registry.host}`;
  const viaProxy = `http://${proxy.address}`;
  const repoViaProxy = `${registry.host}/big`;
  // Warm the proxy (and the page cache of both) with one pull each.
  await pull(viaProxy, repoViaProxy);
  await pull(direct, 'big');
  const distributionPid = registryPid(registry);
  const upstreamBefore = await upstreamRequests(proxy.address);
  const results = { distribution: [], berth: [] };
  // Alternate, so that load from elsewhere on the machine hits both alike.
  for (let i = 0; i < rounds; i++) {
    results.distribution.push(await round(direct, 'big', distributionPid));
    results.berth.push(await round(viaProxy, repoViaProxy, proxy.pid));
  }
  const d = median(results.distribution.map((r) => r.mbps));
  const b = median(results.berth.map((r) => r.mbps));
  const show = (name, rs, m) =>
    console.log(
      `${name.padEnd(28)}${m.toFixed(0).padStart(8)} MB/s   server CPU ${median(rs.map((r) => r.cpuPerGiB)).toFixed(2)} s/GiB` +
        `   rounds: ${rs.map((r) => r.mbps.toFixed(0)).join(' ')}`,
    );
  console.log(`\nproxy: ${concurrency} concurrent pulls of a ${(total / MiB).toFixed(0)} MiB image (${image.layers.length} layers), ${rounds} rounds, median`);
  show('docker-registry (direct)', results.distribution, d);
  show('berth proxy (warm)', results.berth, b);
  console.log(`ratio berth / distribution: ${(b / d).toFixed(2)}×`);
  console.log(`upstream requests made by the proxy during the timed rounds: ${(await upstreamRequests(proxy.address)) - upstreamBefore}`);
} finally {
  agent.destroy();
  await proxy?.stop();
  await registry?.stop();
  await image?.dispose();
  await dir.cleanup();
}
