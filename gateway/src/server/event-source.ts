import { EVENT_SUBJECT_PREFIX, connectNats, openEventStream, type DockerEvent, type Logger, type NatsConnection, type SubscribeOptions } from '@berth/kit';

export interface ChangeWatcher {
  /** Any event was published (a change happened). */
  onEvent(): void;
  /** The subscription is up (true) — events from now on will be seen — or lost (false). */
  onLive(live: boolean): void;
}

/** Where `GET /events` reads from: NATS (JetStream stream BERTH_EVENTS) in production. */
export interface EventSource {
  /** Resolves once subscribed: events published after that are all delivered. */
  open(options: SubscribeOptions): Promise<AsyncIterable<DockerEvent>>;
  /** Follows every event (a plain subscription, no replay) until the returned stop. */
  watch(watcher: ChangeWatcher): () => Promise<void>;
  close(): Promise<void>;
}

/**
 * Events from NATS at url. The connection is made on the first `/events` request (the gateway
 * must start, and answer `/_ping`, while NATS is still coming up) and shared by all of them.
 */
export function natsEventSource(url: string, logger: Logger): EventSource {
  let connection: Promise<NatsConnection> | undefined;
  const connected = (): Promise<NatsConnection> => {
    connection ??= connectNats(url, 'berth-gateway').catch((err: unknown) => {
      connection = undefined; // the next request tries again
      throw err;
    });
    return connection;
  };
  return {
    async open(options) {
      const stream = await openEventStream(await connected(), options);
      return (async function* () {
        for await (const r of stream) yield r.event;
      })();
    },
    watch(watcher) {
      let stopped = false;
      let unsubscribe: (() => void) | undefined;
      const follow = async (): Promise<void> => {
        for (let delay = 100; !stopped; delay = Math.min(delay * 2, 5_000)) {
          try {
            const nc = await connected();
            const sub = nc.subscribe(`${EVENT_SUBJECT_PREFIX}.>`, { callback: (err) => !err && watcher.onEvent() });
            unsubscribe = () => sub.unsubscribe();
            await nc.flush();
            if (stopped) return;
            watcher.onLive(true);
            // nats.js resubscribes on reconnect; what was published meanwhile is unknown.
            for await (const s of nc.status()) {
              if (s.type === 'disconnect' || s.type === 'reconnecting') watcher.onLive(false);
              else if (s.type === 'reconnect') watcher.onLive(true);
            }
            watcher.onLive(false); // the connection closed
            return;
          } catch (err) {
            watcher.onLive(false);
            logger.debug({ err }, 'event watch: NATS not reachable yet');
            await new Promise((r) => setTimeout(r, delay));
          }
        }
      };
      void follow();
      return async () => {
        stopped = true;
        watcher.onLive(false);
        unsubscribe?.();
      };
    },
    async close() {
      const nc = await connection?.catch(() => undefined);
      await nc?.close().catch((err: unknown) => logger.debug({ err }, 'closing the NATS connection'));
    },
  };
}
