import type { BerthConfig, Logger } from '@berth/kit';
import { closeBackends, connectBackends, type Backends } from './server/backends.js';
import { engineApiRouter } from './server/engine-api.js';
import { startEngineServer } from './server/http-server.js';
import { probeHost } from './server/host-facts.js';
import { engineIdentity } from './engine-identity.js';

export interface GatewayDeps {
  logger: Logger;
  /** Clients of the services; connected from config.addresses when not given. */
  backends?: Backends;
  /** The commit berth was built from, for /version (main.ts passes BERTH_GIT_COMMIT). */
  gitCommit?: string;
}

export interface RunningGateway {
  socketPath: string;
  close(): Promise<void>;
}

/** Serves the Engine API on `config.gateway.socket`, forwarding to the services at config.addresses. */
export async function start(config: BerthConfig, deps: GatewayDeps): Promise<RunningGateway> {
  const logger = deps.logger.child({ component: 'engine-api' });
  const backends = deps.backends ?? connectBackends(config);
  const engine = await engineIdentity(config, logger, deps.gitCommit);
  try {
    const server = await startEngineServer({
      socketPath: config.gateway.socket,
      router: engineApiRouter({ backends, engine, host: probeHost() }),
      logger,
      version: engine.version,
    });
    return {
      socketPath: server.socketPath,
      async close() {
        await server.close();
        if (!deps.backends) closeBackends(backends);
      },
    };
  } catch (err) {
    if (!deps.backends) closeBackends(backends);
    throw err;
  }
}

export type { Backends } from './server/backends.js';
