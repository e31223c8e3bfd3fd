import {
  connect,
  headers as natsHeaders,
  JSONCodec,
  RetentionPolicy,
  StorageType,
  consumerOpts,
  type NatsConnection,
  type JetStreamClient,
  type JetStreamSubscription,
} from 'nats';
import type { Logger } from 'pino';
import { BerthError } from './errors.js';
import { EVENT_STREAM, EVENT_SUBJECT_PREFIX, eventSubject, toDockerEvent, type BerthEventInput, type DockerEvent, type EventPublisher } from './events.js';
import { injectTraceContext } from './telemetry.js';
import { processMetrics } from './metrics.js';

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
      processMetrics().eventsPublished.inc({ type: event.type, action: event.action });
    } catch (err) {
      this.failures++;
      processMetrics().eventFailures.inc();
      this.logger.warn({ err, type: event.type, action: event.action, id: event.actor.id }, 'event publish failed');
    }
  }
}

export interface SubscribeOptions {
  /** Replay stored events from this time, then continue live. Without it: live events only. */
  since?: Date;
  /** End at this time: stored events up to it are replayed first even when it is already past. */
  until?: Date;
  signal?: AbortSignal;
}

/** A Docker event with the W3C trace context its publisher sent in the NATS headers. */
export interface ReceivedEvent {
  event: DockerEvent;
  subject: string;
  traceparent?: string;
}

/**
 * Docker events from the stream (an ordered JetStream consumer): replayed from `since` when
 * given, then live until `until` or abort. When `until` arrives the stream still delivers what
 * was stored before it (a past `until` replays and ends), then ends.
 */
export async function* subscribeEvents(nc: NatsConnection, options: SubscribeOptions = {}): AsyncIterable<DockerEvent> {
  for await (const r of await openEventStream(nc, options)) yield r.event;
}

/**
 * Like subscribeEvents, with each event's subject and traceparent header; resolves once the
 * consumer exists, so nothing published after it resolves is missed (the gateway sends its
 * response headers only then).
 */
export async function openEventStream(nc: NatsConnection, options: SubscribeOptions = {}): Promise<AsyncIterable<ReceivedEvent>> {
  const opts = consumerOpts();
  opts.orderedConsumer();
  if (options.since) opts.startTime(options.since);
  else opts.deliverNew();
  const sub = await nc.jetstream().subscribe(`${EVENT_SUBJECT_PREFIX}.>`, opts);
  return readEvents(sub, options);
}

async function* readEvents(sub: JetStreamSubscription, options: SubscribeOptions): AsyncIterable<ReceivedEvent> {
  const stop = () => {
    if (!sub.isClosed()) sub.unsubscribe();
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  const sinceNs = options.since ? BigInt(options.since.getTime()) * 1_000_000n : undefined;
  const untilNs = options.until ? BigInt(options.until.getTime()) * 1_000_000n : undefined;
  let untilReached = false;
  let timer: NodeJS.Timeout | undefined;
  /** The consumer's delivery sequence of the last message this loop took (0: none yet). */
  let taken = 0;
  const reachUntil = async () => {
    untilReached = true;
    // Caught up — nothing stored still to be delivered, and every delivered message taken (the
    // client buffers deliveries: unsubscribing with some unread would drop them): end now.
    // Otherwise the loop ends at the last one.
    const info = await sub.consumerInfo().catch(() => undefined);
    if (!info || (info.num_pending === 0 && info.delivered.consumer_seq <= taken)) stop();
  };
  if (options.until) timer = setTimeout(() => void reachUntil(), Math.max(0, options.until.getTime() - Date.now()));
  try {
    if (options.signal?.aborted) return;
    for await (const m of sub) {
      taken = m.info.deliverySequence;
      const event = codec.decode(m.data);
      const at = BigInt(event.timeNano);
      if (untilNs !== undefined && at > untilNs) break;
      // JetStream's start time is when the server stored it; the event's own time decides.
      if (sinceNs === undefined || at >= sinceNs) {
        const traceparent = m.headers?.get('traceparent') || undefined;
        yield { event, subject: m.subject, ...(traceparent && { traceparent }) };
      }
      if (untilReached && m.info.pending === 0) break;
    }
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop);
    stop();
  }
}
