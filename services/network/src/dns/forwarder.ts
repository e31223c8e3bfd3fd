import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { BerthError } from '@berth/kit';

export interface Upstream {
  host: string;
  port: number;
}

/** Configured resolvers, `host` or `host:port` (IPv4). */
export function upstreamsFromConfig(list: readonly string[]): Upstream[] {
  return list.map((entry) => {
    const m = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(entry.trim());
    if (!m) throw new BerthError('invalid_argument', `invalid DNS upstream ${JSON.stringify(entry)} (want host or host:port)`);
    return { host: m[1]!, port: m[2] ? Number(m[2]) : 53 };
  });
}

/** The IPv4 `nameserver` lines of a resolv.conf. Loopback resolvers are kept: berth asks from the host. */
export function upstreamsFromResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (m) out.push({ host: m[1]!, port: 53 });
  }
  return out;
}

function askUdp(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const id = query.readUInt16BE(0);
    const done = (err: Error | undefined, msg?: Buffer) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(msg!);
    };
    const timer = setTimeout(() => done(new Error(`${u.host}:${u.port}: timed out`)), timeoutMs);
    sock.on('error', (err) => done(err));
    sock.on('message', (msg, rinfo) => {
      if (rinfo.address === u.host && msg.length >= 2 && msg.readUInt16BE(0) === id) done(undefined, msg);
    });
    sock.send(query, u.port, u.host);
  });
}

function askTcp(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: u.host, port: u.port });
    let buf = Buffer.alloc(0);
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`${u.host}:${u.port}: timed out`)));
    sock.on('error', reject);
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        sock.end();
      }
    });
    sock.on('close', () => reject(new Error(`${u.host}:${u.port}: closed`)));
  });
}

/** Relays a query, unchanged, to the host's resolvers in turn; undefined when none answers. */
export class Forwarder {
  constructor(
    readonly upstreams: readonly Upstream[],
    private readonly timeoutMs = 2000,
  ) {}

  async forward(query: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    for (const u of this.upstreams) {
      try {
        return tcp ? await askTcp(u, query, this.timeoutMs) : await askUdp(u, query, this.timeoutMs);
      } catch {
        // this resolver did not answer in time (or refused): try the next one
      }
    }
    return undefined;
  }
}
