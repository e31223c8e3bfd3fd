import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isCancelled } from '@berth/kit';
import { HttpAgents, send, TransportError } from './http.js';
import { RAW_CHUNK } from './raw-http.js';

/** A body of 3.5 MiB: several full chunks and a partial one. */
const BODY = randomBytes(3 * RAW_CHUNK + RAW_CHUNK / 2);

describe('plain-HTTP bulk GETs (raw-http.ts)', () => {
  let server: http.Server;
  let base: string;
  let busy = 0;
  const agents = new HttpAgents();
  const get = (path: string, signal?: AbortSignal) =>
    send(agents, { method: 'GET', url: new URL(path, base), bulk: true, timeoutMs: 5000, idleTimeoutMs: 5000, ...(signal && { signal }) });

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/whole') return void res.writeHead(200, { 'content-length': BODY.length, 'x-seen': req.headers.connection ?? '' }).end(BODY);
      if (req.url === '/chunked') return void res.writeHead(200).end(BODY); // no length: chunked
      if (req.url === '/busy') {
        busy++;
        res.writeHead(429, { 'retry-after': '1' }); // no length: chunked
        res.write('{"errors":');
        return void setTimeout(() => res.end('[]}'), 20);
      }
      if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': BODY.length });
        res.write(BODY.subarray(0, 100_000), () => res.destroy());
        return;
      }
      if (req.url === '/held') {
        res.writeHead(200, { 'content-length': BODY.length });
        res.write(BODY.subarray(0, 100_000)); // and nothing more
        return;
      }
      res.writeHead(404, { 'content-length': 2 }).end('no');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    agents.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads a Content-Length body into 1 MiB chunks, reusing the buffers handed back', async () => {
    const res = await get('/whole');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-seen'], 'close');
    const parts: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for await (const chunk of res.body) {
      assert.ok(chunk.length <= RAW_CHUNK);
      parts.push(Buffer.from(chunk));
      buffers.add(chunk.buffer);
      res.body.recycle?.(chunk);
    }
    assert.ok(res.body.complete);
    assert.ok(Buffer.concat(parts).equals(BODY));
    assert.ok(buffers.size < parts.length, `${parts.length} chunks in ${buffers.size} buffers: none was reused`);
  });

  it('repeats a GET whose answer is not framed by Content-Length through node:http', async () => {
    const res = await get('/chunked');
    const parts: Buffer[] = [];
    for await (const chunk of res.body) parts.push(chunk);
    assert.ok(Buffer.concat(parts).equals(BODY));
  });

  it('reads an error answer without Content-Length whole, without asking again', async () => {
    const res = await get('/busy');
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '1');
    const parts: Buffer[] = [];
    for await (const chunk of res.body) parts.push(chunk);
    assert.equal(Buffer.concat(parts).toString(), '{"errors":[]}');
    assert.equal(busy, 1);
  });

  it('hands out what arrived before the connection broke, then fails', async () => {
    const res = await get('/cut');
    let got = 0;
    await assert.rejects(async () => {
      for await (const chunk of res.body) got += chunk.length;
    }, /closed/);
    assert.equal(got, 100_000);
    assert.equal(res.body.complete, false);
  });

  it('stops at the caller\'s cancel, mid-body', async () => {
    const ctl = new AbortController();
    const res = await get('/held', ctl.signal);
    const reading = (async () => {
      for await (const chunk of res.body) if (chunk.length > 0) ctl.abort();
    })();
    await assert.rejects(reading, (err) => isCancelled(err));
  });

  it('returns error answers with their body, and refused connections as transport errors', async () => {
    const res = await get('/missing');
    assert.equal(res.status, 404);
    const parts: Buffer[] = [];
    for await (const chunk of res.body) parts.push(chunk);
    assert.equal(Buffer.concat(parts).toString(), 'no');
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(
      send(agents, { method: 'GET', url: new URL(`http://127.0.0.1:${port}/x`), bulk: true, timeoutMs: 5000, idleTimeoutMs: 5000 }),
      (err) => err instanceof TransportError,
    );
  });
});
