import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import type { Logger } from '@berth/kit';
import type { DnsListeners } from '../domain/context.js';
import type { Lookup } from '../domain/dns-records.js';
import type { Forwarder } from './forwarder.js';
import { RCode, RType, aRecord, buildResponse, formatError, parseQuery, ptrRecord } from './message.js';

/** The names the server answers itself, and whether the rest may go to the forwarder. */
export interface Records {
  address(askerIp: string, serverIp: string, name: string): Lookup;
  pointer(askerIp: string, serverIp: string, name: string): Lookup;
  /** For query types the server never answers itself (MX, TXT ...): forward or refuse. */
  other(askerIp: string): Lookup;
}

export interface DnsServerOptions {
  records: Records;
  forwarder: Forwarder;
  logger: Logger;
  /** 53 in production (resolv.conf cannot name a port). */
  port?: number;
  ttl?: number;
}

const MAX_TCP_MESSAGE = 65535;

/**
 * The embedded DNS server: UDP and TCP on each bridge's gateway address, port 53. Containers find
 * it as `nameserver <gateway>` in their resolv.conf; it answers with their networks' names and
 * forwards the rest to the host's resolvers.
 */
export class DnsServer implements DnsListeners {
  private readonly listeners = new Map<string, { udp: Socket; tcp: Server; conns: Set<TcpSocket> }>();
  private readonly port: number;
  private readonly ttl: number;

  constructor(private readonly opts: DnsServerOptions) {
    this.port = opts.port ?? 53;
    this.ttl = opts.ttl ?? 600;
  }

  serving(ip: string): boolean {
    return this.listeners.has(ip);
  }

  async listen(ip: string): Promise<boolean> {
    if (this.listeners.has(ip)) return true;
    const udp = createSocket({ type: 'udp4', reuseAddr: true });
    const tcp = createServer();
    const conns = new Set<TcpSocket>();
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address: ip, port: this.port, exclusive: true }, () => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: ip, port: this.port, exclusive: true }, () => resolve());
      });
    } catch (err) {
      this.opts.logger.warn({ err, ip }, 'DNS server cannot listen: containers on this network get the host resolvers');
      udp.close();
      tcp.close();
      return false;
    }
    udp.on('error', (err) => this.opts.logger.warn({ err, ip }, 'DNS socket error'));
    udp.on('message', (msg, rinfo) => {
      void this.answer(msg, rinfo.address, ip, false).then((res) => {
        if (res) udp.send(res, rinfo.port, rinfo.address);
      });
    });
    tcp.on('connection', (sock) => this.serveTcp(sock, ip, conns));
    this.listeners.set(ip, { udp, tcp, conns });
    return true;
  }

  async unlisten(ip: string): Promise<void> {
    const l = this.listeners.get(ip);
    if (!l) return;
    this.listeners.delete(ip);
    for (const c of l.conns) c.destroy();
    await Promise.all([new Promise<void>((r) => l.udp.close(() => r())), new Promise<void>((r) => l.tcp.close(() => r()))]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((ip) => this.unlisten(ip)));
  }

  private serveTcp(sock: TcpSocket, serverIp: string, conns: Set<TcpSocket>): void {
    conns.add(sock);
    let buf = Buffer.alloc(0);
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > MAX_TCP_MESSAGE + 2) return void sock.destroy();
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(msg, sock.remoteAddress ?? '', serverIp, true).then((res) => {
          if (!res || sock.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(res.length);
          sock.write(Buffer.concat([len, res]));
        });
      }
    });
  }

  /** The reply to one message, or undefined to stay silent (responses, garbage without an id). */
  async answer(msg: Buffer, askerIp: string, serverIp: string, tcp: boolean): Promise<Buffer | undefined> {
    const asker = askerIp.replace(/^::ffff:/, '');
    const q = parseQuery(msg);
    if (!q) return msg.length >= 3 && !(msg[2]! & 0x80) ? formatError(msg) : undefined;
    if ((q.flags & 0x7800) !== 0) return buildResponse(q, RCode.NotImp);
    try {
      const { records } = this.opts;
      const isIn = q.class === 1;
      const r = isIn && (q.type === RType.A || q.type === RType.AAAA || q.type === RType.ANY)
        ? records.address(asker, serverIp, q.name)
        : isIn && q.type === RType.PTR ? records.pointer(asker, serverIp, q.name) : records.other(asker);
      switch (r.kind) {
        case 'addresses':
          // Known name, IPv4 only: AAAA gets an empty NOERROR so resolvers do not fall through.
          return buildResponse(q, RCode.NoError, q.type === RType.AAAA ? [] : r.addresses.map((a) => aRecord(a, this.ttl)));
        case 'name':
          return buildResponse(q, RCode.NoError, [ptrRecord(r.name, this.ttl)]);
        case 'refuse':
          return buildResponse(q, RCode.Refused);
      }
      return (await this.opts.forwarder.forward(msg, tcp)) ?? buildResponse(q, RCode.ServFail);
    } catch (err) {
      this.opts.logger.warn({ err, name: q.name }, 'DNS query failed');
      return buildResponse(q, RCode.ServFail);
    }
  }
}
