import type { BerthConfig, Logger } from '@berth/kit';
import { closeBackends, connectBackends, type Backends } from './server/backends.js';
import { engineApiRouter } from './server/engine-api.js';
import { startEngineServer } from './server/http-server.js';
import { probeHost } from './server/host-facts.js';
import { engineIdentity } from './engine-identity.js';
import { natsEventSource, type EventSource } from './server/event-source.js';
import { meteredRouter } from './server/route-metrics.js';
import { cachedBackends, invalidatingRouter, ListCache, watchForChanges } from './server/list-cache.js';
import { startTlsListener, type TlsListener } from './server/tls-listener.js';

export interface GatewayDeps {
  logger: Logger;
  /** Clients of the services; connected from config.addresses when not given. */
  backends?: Backends;
  /** The commit berth was built from, for /version (main.ts passes BERTH_GIT_COMMIT). */
  gitCommit?: string;
  /** Where `/events` reads; default NATS at config.nats.url (none: `/events` answers 503). */
  events?: EventSource;
}

export interface RunningGateway {
  socketPath: string;
  /** The TCP + mutual TLS listener's `host:port`, when config.gateway.tcp is set. */
  tcpAddress?: string;
  close(): Promise<void>;
}

/** Serves the Engine API on `config.gateway.socket`, forwarding to the services at config.addresses. */
export async function start(config: BerthConfig, deps: GatewayDeps): Promise<RunningGateway> {
  const logger = deps.logger.child({ component: 'engine-api' });
  const backends = deps.backends ?? connectBackends(config);
  const engine = await engineIdentity(config, logger, deps.gitCommit);
  const events = deps.events ?? (config.nats.url ? natsEventSource(config.nats.url, logger) : undefined);
  const cache = new ListCache();
  const stopWatching = events?.watch ? watchForChanges(events, cache, logger) : undefined;
  let tcp: TlsListener | undefined;
  try {
    const server = await startEngineServer({
      socketPath: config.gateway.socket,
      router: meteredRouter(invalidatingRouter(engineApiRouter({ backends: cachedBackends(backends, cache), engine, host: probeHost(), ...(events && { events }) }), cache)),
      logger,
      version: engine.version,
    });
    if (config.gateway.tcp) {
      tcp = await startTlsListener({ address: config.gateway.tcp, tls: config.tls, socketPath: server.socketPath, logger }).catch(async (err: unknown) => {
        await server.close();
        throw err;
      });
    }
    return {
      socketPath: server.socketPath,
      ...(tcp && { tcpAddress: tcp.address }),
      async close() {
        await tcp?.close();
        await server.close();
        await stopWatching?.();
        if (!deps.events) await events?.close();
        if (!deps.backends) closeBackends(backends);
      },
    };
  } catch (err) {
    await stopWatching?.();
    if (!deps.events) await events?.close();
    if (!deps.backends) closeBackends(backends);
    throw err;
  }
}

export type { Backends } from './server/backends.js';
