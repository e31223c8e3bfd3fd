import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { BerthError, splitHostPort, type Logger } from '@berth/kit';

export interface TlsListener {
  /** `host:port` as bound. */
  address: string;
  close(): Promise<void>;
}

export interface TlsListenerOptions {
  /** `host:port` (config.gateway.tcp). */
  address: string;
  tls: { ca?: string; cert?: string; key?: string };
  /** The Engine API's unix socket, where decrypted connections go. */
  socketPath: string;
  logger: Logger;
}

/**
 * The Engine API on TCP, as `dockerd --tlsverify`: TLS 1.2+ with a client certificate signed
 * by tls.ca required; a client without one (or with one from another CA) fails the handshake
 * before it can send a request. Each accepted connection is relayed byte for byte to the unix
 * socket, so everything the API does there (streams, upgrades for attach) works the same here.
 */
export async function startTlsListener(options: TlsListenerOptions): Promise<TlsListener> {
  const { ca, cert, key } = options.tls;
  if (!ca || !cert || !key) {
    throw new BerthError('failed_precondition', 'gateway.tcp needs tls.ca, tls.cert and tls.key (client certificates are required on TCP)');
  }
  const logger = options.logger.child({ component: 'tcp' });
  const open = new Set<Socket>();
  const server = createServer(
    {
      ca: readFileSync(ca), cert: readFileSync(cert), key: readFileSync(key), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2',
      // The docker CLI half-closes an attach stream after its stdin (TLS close_notify): the
      // container's output must still flow back, as it does on the unix socket.
      allowHalfOpen: true,
    },
    (client: TLSSocket) => {
      const upstream = connect({ path: options.socketPath, allowHalfOpen: true });
      for (const s of [client, upstream]) {
        open.add(s);
        s.once('close', () => open.delete(s));
      }
      client.setNoDelay(true);
      const end = (err?: Error) => {
        if (err) logger.debug({ err: err.message }, 'connection ended');
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.end());
      client.pipe(upstream);
      upstream.pipe(client);
    },
  );
  server.on('tlsClientError', (err) => logger.info({ err: err.message }, 'refused a TLS client'));
  const { host, port } = splitHostPort(options.address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new BerthError('unavailable', `listen ${options.address}: ${err.message}`, { cause: err })));
    server.listen(port, host, resolve);
  });
  const bound = server.address();
  const address = typeof bound === 'object' && bound ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}` : options.address;
  logger.info({ address }, 'engine API listening on TCP (mutual TLS)');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      }),
  };
}
