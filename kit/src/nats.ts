import {
  connect,
  headers as natsHeaders,
  JSONCodec,
  RetentionPolicy,
  StorageType,
  consumerOpts,
  type NatsConnection,
  type JetStreamClient,
} from 'nats';
import type { Logger } from 'pino';
import { BerthError } from './errors.js';
import { EVENT_STREAM, EVENT_SUBJECT_PREFIX, eventSubject, toDockerEvent, type BerthEventInput, type DockerEvent, type EventPublisher } from './events.js';
import { injectTraceContext } from './telemetry.js';

export type { NatsConnection } from 'nats';

const codec = JSONCodec<DockerEvent>();

export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  try {
    return await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  } catch (err) {
    throw new BerthError('unavailable', `cannot connect to NATS at ${url}: ${(err as Error).message}`, { cause: err });
  }
}

/** Creates (or updates) the JetStream stream that keeps events for `--since` replay. */
export async function ensureEventStream(nc: NatsConnection, limits: { maxAgeSeconds: number; maxBytes: number }): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const config = {
    name: EVENT_STREAM,
    subjects: [`${EVENT_SUBJECT_PREFIX}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: limits.maxAgeSeconds * 1_000_000_000,
    max_bytes: limits.maxBytes,
  };
  try {
    await jsm.streams.info(EVENT_STREAM);
    await jsm.streams.update(EVENT_STREAM, config);
  } catch {
    // Not there yet (the only failure info() reports here): create it.
    await jsm.streams.add(config);
  }
}

/**
 * Publishes events to JetStream (so they are stored for replay), with the W3C trace context in
 * NATS headers. A failed publish is logged and counted; it never undoes the change it reports.
 */
export class NatsEventPublisher implements EventPublisher {
  private readonly js: JetStreamClient;
  failures = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {
    this.js = nc.jetstream();
  }

  async publish(event: BerthEventInput): Promise<void> {
    const body = toDockerEvent(event);
    const h = natsHeaders();
    for (const [k, v] of Object.entries(injectTraceContext())) h.set(k, v);
    try {
      await this.js.publish(eventSubject(event.type, event.action), codec.encode(body), { headers: h, timeout: 2000 });
    } catch (err) {
      this.failures++;
      this.logger.warn({ err, type: event.type, action: event.action, id: event.actor.id }, 'event publish failed');
    }
  }
}

export interface SubscribeOptions {
  /** Replay from this time (stored events), then continue live. */
  since?: Date;
  /** Stop at this time. */
  until?: Date;
  signal?: AbortSignal;
}

/** Docker events from the stream: replayed from `since` when given, then live until `until` or abort. */
export async function* subscribeEvents(nc: NatsConnection, options: SubscribeOptions = {}): AsyncIterable<DockerEvent> {
  const opts = consumerOpts();
  opts.orderedConsumer();
  if (options.since) opts.startTime(options.since);
  else opts.deliverNew();
  const sub = await nc.jetstream().subscribe(`${EVENT_SUBJECT_PREFIX}.>`, opts);
  const stop = () => sub.unsubscribe();
  options.signal?.addEventListener('abort', stop, { once: true });
  let timer: NodeJS.Timeout | undefined;
  if (options.until) timer = setTimeout(stop, Math.max(0, options.until.getTime() - Date.now()));
  try {
    for await (const m of sub) {
      const ev = codec.decode(m.data);
      if (options.until && ev.timeNano > options.until.getTime() * 1_000_000) break;
      yield ev;
    }
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop);
    if (!sub.isClosed()) sub.unsubscribe();
  }
}
