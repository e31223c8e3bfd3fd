import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerPingsFirst, sendPing } from './ping-fast-path.js';

const COMMON = { 'Api-Version': '1.45', Server: 'berth/test', 'Docker-Experimental': 'false', Ostype: 'linux' };

/**
 * Writes the chunks one by one (each after the previous was flushed) and returns all the server
 * sent until it closed, or until `enough` says so.
 */
function exchange(socketPath: string, chunks: string[], enough = (_received: string) => false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      received += d;
      if (enough(received)) socket.destroy(), resolve(received);
    });
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        await new Promise<void>((r) => socket.write(chunk, 'latin1', () => r()));
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

const ping = (path = '/_ping', extra = '') => `GET ${path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: test\r\n${extra}\r\n`;
const post = (body: string, extra = '') => `POST /echo HTTP/1.1\r\nHost: docker\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
const last = 'GET /echo HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n';

/** Status and body of each response in a stream of HTTP/1.1 responses; `heads`: the indexes of answers to HEAD. */
function bodies(stream: string, heads: number[] = []): string[] {
  const out: string[] = [];
  for (let rest = stream; rest.length > 0; ) {
    const end = rest.indexOf('\r\n\r\n');
    assert.ok(end > 0, `a response head in ${JSON.stringify(rest)}`);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(rest.slice(0, end))?.[1] ?? 0);
    const head = /^HTTP\/1\.1 (\d+)/.exec(rest)?.[1];
    const body = heads.includes(out.length) ? '' : rest.slice(end + 4, end + 4 + length);
    out.push(`${head} ${body}`);
    rest = rest.slice(end + 4 + body.length);
  }
  return out;
}

describe('pings answered below node:http until the first other request', () => {
  let dir: string;
  let sock: string;
  let server: Server;
  const seen: string[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-ping-'));
    sock = join(dir, 'api.sock');
    server = createServer();
    answerPingsFirst(server, COMMON);
    server.on('request', (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url?.endsWith('/_ping')) return sendPing(req, res, COMMON);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(`${req.method} ${Buffer.concat(chunks).toString()}`));
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  test('a ping gets Docker\'s answer, without node:http seeing it', async () => {
    seen.length = 0;
    const out = await exchange(sock, [ping('/_ping', 'Connection: close\r\n')]);
    const [head, body] = out.split('\r\n\r\n');
    assert.equal(body, 'OK');
    const lines = head!.split('\r\n');
    assert.equal(lines[0], 'HTTP/1.1 200 OK');
    for (const h of ['Api-Version: 1.45', 'Server: berth/test', 'Docker-Experimental: false', 'Ostype: linux', 'Builder-Version: 1',
      'Cache-Control: no-cache, no-store, must-revalidate', 'Pragma: no-cache', 'Content-Type: text/plain; charset=utf-8',
      'Content-Length: 2', 'Connection: close']) {
      assert.ok(lines.includes(h), `${h} in ${head}`);
    }
    assert.match(head!, /\r\nDate: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT/);
    assert.deepEqual(seen, []);
  });

  test('HEAD and versioned pings; a version too old and a ping with a body go to node:http', async () => {
    seen.length = 0;
    const head = 'HEAD /v1.47/_ping HTTP/1.1\r\nHost: docker\r\n\r\n';
    const out = await exchange(sock, [ping('/v1.45/_ping') + head + ping('/v1.12/_ping'), post('x').replace('POST /echo', 'GET /_ping'), last]);
    assert.deepEqual(bodies(out, [1]), ['200 OK', '200 ', '200 OK', '200 OK', '200 GET ']);
    assert.deepEqual(seen, ['GET /v1.12/_ping', 'GET /_ping', 'GET /echo']);
  });

  test('pipelined pings, then a request with a body: every byte after the pings reaches node:http in order', async () => {
    seen.length = 0;
    const out = await exchange(sock, [ping() + ping() + post('hello') + ping() + post('world') + last]);
    assert.deepEqual(bodies(out), ['200 OK', '200 OK', '200 POST hello', '200 OK', '200 POST world', '200 GET ']);
    assert.deepEqual(seen, ['POST /echo', 'GET /_ping', 'POST /echo', 'GET /echo']);
  });

  test('a request split into single bytes is parsed the same', async () => {
    seen.length = 0;
    const out = await exchange(sock, [...(ping() + post('split') + last)]);
    assert.deepEqual(bodies(out), ['200 OK', '200 POST split', '200 GET ']);
    assert.deepEqual(seen, ['POST /echo', 'GET /echo']);
  });

  test('a connection that starts with another request is node:http\'s from its first byte', async () => {
    seen.length = 0;
    const out = await exchange(sock, [post('first') + ping() + last]);
    assert.deepEqual(bodies(out), ['200 POST first', '200 OK', '200 GET ']);
    assert.deepEqual(seen, ['POST /echo', 'GET /_ping', 'GET /echo']);
  });

  test('an upgrade request is not a ping', async () => {
    seen.length = 0;
    const out = await exchange(sock, [ping('/_ping', 'Connection: Upgrade\r\nUpgrade: tcp\r\n')], (r) => r.endsWith('OK'));
    assert.deepEqual(bodies(out), ['200 OK']);
    assert.deepEqual(seen, ['GET /_ping']);
  });
});
