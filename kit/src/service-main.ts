import type { Logger } from 'pino';
import { loadConfig, type BerthConfig } from './config.js';
import { createLogger } from './logger.js';
import { setupTelemetry } from './telemetry.js';
import { connectNats, ensureEventStream, NatsEventPublisher, type NatsConnection } from './nats.js';
import { NullEventPublisher, type EventPublisher } from './events.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

export interface ServiceDeps {
  logger: Logger;
  events: EventPublisher;
}

export interface RunningService {
  close(): Promise<void>;
}

export interface RunServiceOptions {
  /** "image", "runtime" ... */
  name: string;
  /** process.env, passed by main.ts: the only reader of the environment. */
  env: Record<string, string | undefined>;
  start(config: BerthConfig, deps: ServiceDeps): Promise<RunningService>;
}

/**
 * The whole of a service's main(): config → logger → telemetry → NATS → start → drain on
 * SIGTERM/SIGINT. Shared so no service copies server boilerplate.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const config = loadConfig({ env: options.env });
  const logger = createLogger({ service: options.name, level: config.logLevel });
  const telemetry = setupTelemetry({ serviceName: `berth-${options.name}`, otlpEndpoint: config.otel.endpoint });
  let nc: NatsConnection | undefined;
  let events: EventPublisher = new NullEventPublisher();
  let metrics: MetricsServer | undefined;
  try {
    const metricsAddress = (config.metrics as Record<string, string | undefined>)[options.name];
    if (metricsAddress) metrics = await startMetricsServer({ address: metricsAddress, logger });
    if (config.nats.url) {
      nc = await connectNats(config.nats.url, `berth-${options.name}`);
      await ensureEventStream(nc, { maxAgeSeconds: config.nats.streamMaxAgeSeconds, maxBytes: config.nats.streamMaxBytes });
      events = new NatsEventPublisher(nc, logger.child({ component: 'events' }));
    } else {
      logger.warn('no NATS URL configured: events are not published');
    }
    const service = await options.start(config, { logger, events });
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'draining');
      try {
        await service.close();
        await metrics?.close();
        await nc?.drain();
        await telemetry.shutdown();
      } finally {
        process.exit(0);
      }
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
    logger.info('ready');
  } catch (err) {
    logger.fatal({ err }, 'failed to start');
    await metrics?.close();
    await nc?.close();
    process.exit(1);
  }
}
