import { createSocket } from 'node:dgram';
import { aRecord, buildResponse, parseQuery, RCode, RType } from '../dns/message.js';

/**
 * A stand-in for the host's resolver on 127.0.0.1 (tests never send DNS to a real one): answers
 * A queries for the names it was given and NXDOMAIN for everything else, and counts queries.
 */
export interface FakeUpstream {
  port: number;
  queries: string[];
  close(): Promise<void>;
}

export async function startFakeUpstream(names: Record<string, string>): Promise<FakeUpstream> {
  const sock = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    const q = parseQuery(msg);
    if (!q) return;
    queries.push(q.name);
    const address = names[q.name.toLowerCase()];
    const res = address
      ? buildResponse(q, RCode.NoError, q.type === RType.A ? [aRecord(address, 60)] : [])
      : buildResponse(q, RCode.NxDomain);
    sock.send(res, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind({ address: '127.0.0.1', port: 0 }, resolve));
  return {
    port: sock.address().port,
    queries,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
