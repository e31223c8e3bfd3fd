import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

interface Held {
  close(): void;
}

export interface ReservedPort {
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
}

/** Binds ip:port (TCP: listens, never accepts) and keeps it; rejects with the socket error. */
function hold(p: ReservedPort): Promise<Held> {
  if (p.protocol === 'udp') {
    return new Promise((resolve, reject) => {
      const sock = createSocket({ type: 'udp4' });
      sock.once('error', (err) => (sock.close(), reject(err)));
      sock.bind({ address: p.hostIp, port: p.hostPort, exclusive: true }, () => {
        sock.unref();
        resolve({ close: () => sock.close() });
      });
    });
  }
  return new Promise((resolve, reject) => {
    const server = createServer((conn) => conn.destroy());
    server.once('error', reject);
    server.listen({ host: p.hostIp, port: p.hostPort, exclusive: true, backlog: 1 }, () => {
      server.unref();
      resolve({ close: () => server.close() });
    });
  });
}

/**
 * Published host ports, held open by the service as Docker's daemon does without its userland
 * proxy: traffic to them is DNAT'd before it could reach these sockets, but nothing else on the
 * host — another process, another berth instance choosing a free port — can take them meanwhile.
 * Synced from the same state as the firewall rules.
 */
export class PortReservations {
  private readonly held = new Map<string, Held>();

  constructor(private readonly onError: (err: unknown, port: string) => void = () => undefined) {}

  async sync(ports: readonly ReservedPort[]): Promise<void> {
    const want = new Map(ports.map((p) => [`${p.protocol}/${p.hostIp}:${p.hostPort}`, p]));
    for (const [key, h] of this.held) {
      if (want.has(key)) continue;
      h.close();
      this.held.delete(key);
    }
    const missing = [...want].filter(([key]) => !this.held.has(key));
    await Promise.all(
      missing.map(async ([key, p]) => {
        try {
          this.held.set(key, await hold(p));
        } catch (err) {
          this.onError(err, key); // taken by someone else: the mapping works, it is just not held
        }
      }),
    );
  }

  closeAll(): void {
    for (const h of this.held.values()) h.close();
    this.held.clear();
  }
}
