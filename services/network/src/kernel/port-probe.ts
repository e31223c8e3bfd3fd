import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * Binds ip:port for an instant and reports the port it got: the honest test of "is this port in
 * use on the host" (a listening process, or a socket bound to a specific address overlapping ours).
 * Rejects with the socket error (EADDRINUSE, EADDRNOTAVAIL ...).
 */
export function probeBind(protocol: 'tcp' | 'udp', ip: string, port: number): Promise<number> {
  if (protocol === 'udp') {
    return new Promise((resolve, reject) => {
      const sock = createSocket({ type: 'udp4' });
      sock.once('error', (err) => {
        sock.close();
        reject(err);
      });
      sock.bind({ address: ip, port, exclusive: true }, () => {
        const got = sock.address().port;
        sock.close(() => resolve(got));
      });
    });
  }
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: ip, port, exclusive: true }, () => {
      const addr = server.address();
      const got = addr && typeof addr === 'object' ? addr.port : 0;
      server.close(() => resolve(got));
    });
  });
}
