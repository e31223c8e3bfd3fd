// HTTP load over a unix socket for the API benchmarks: keep-alive connections, fixed request
// counts after a warm-up, latency percentiles. Plain Node, no dependencies.
import http from 'node:http';

function once(agent, socketPath, path) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request({ socketPath, path, agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** `requests` GETs of path on `concurrency` keep-alive connections (after `warmup`): req/s, p50, p99 (ms). */
export async function load(socketPath, path, { requests = 2000, concurrency = 1, warmup = 200 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < Math.ceil(warmup / concurrency); i++) await once(agent, socketPath, path);
    }));
    const latencies = [];
    let issued = 0;
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (issued < requests) {
        issued++;
        latencies.push(await once(agent, socketPath, path));
      }
    }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    latencies.sort((a, b) => a - b);
    return { rps: requests / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99) };
  } finally {
    agent.destroy();
  }
}

/** One JSON request (for setup: pulls, creates, starts); resolves with status and parsed body. */
export function request(socketPath, method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { socketPath, method, path, headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined; // progress streams: several documents
          }
          resolve({ status: res.statusCode, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
