/**
 * Every event berth publishes: its type, its actions, and its NATS subject. Nowhere else spells a
 * subject. The body is JSON in Docker's event shape, so `docker events` consumers read it as is.
 */
export const EventType = {
  Container: 'container',
  Image: 'image',
  Network: 'network',
  Volume: 'volume',
  Daemon: 'daemon',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export const EventActions = {
  container: [
    'create', 'start', 'die', 'kill', 'stop', 'restart', 'pause', 'unpause', 'rename', 'destroy', 'oom',
    'attach', 'detach', 'resize', 'update', 'commit', 'export', 'top', 'copy', 'archive-path', 'extract-to-dir',
    'exec_create', 'exec_start', 'exec_die', 'health_status',
  ],
  image: ['pull', 'push', 'tag', 'untag', 'delete', 'load', 'save', 'import', 'prune'],
  network: ['create', 'connect', 'disconnect', 'destroy', 'remove', 'prune'],
  volume: ['create', 'mount', 'unmount', 'destroy', 'prune'],
  daemon: ['reload'],
} as const satisfies Record<EventType, readonly string[]>;

export type EventAction<T extends EventType = EventType> = (typeof EventActions)[T][number];

export const EVENT_SUBJECT_PREFIX = 'berth.events';
export const EVENT_STREAM = 'BERTH_EVENTS';

/**
 * `berth.events.container.start`. Docker's actions may carry details after a colon
 * ("health_status: healthy", "exec_start: sh -c ls"): the subject takes only the action's name,
 * never that text (a command line may hold any character).
 */
export function eventSubject(type: EventType | '*', action: string | '*' | '>' = '*'): string {
  const name = action.split(':')[0]!.trim();
  return `${EVENT_SUBJECT_PREFIX}.${type}.${name.replace(/[^A-Za-z0-9_*>-]/g, '_')}`;
}

export interface EventActor {
  id: string;
  attributes?: Record<string, string>;
}

export interface BerthEventInput<T extends EventType = EventType> {
  type: T;
  action: EventAction<T> | string;
  actor: EventActor;
}

/** Docker's event JSON. */
export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  /** Legacy fields Docker still sends for containers and images. */
  status?: string;
  id?: string;
  from?: string;
}

export function toDockerEvent(input: BerthEventInput, nowNs: bigint = process.hrtime.bigint() + epochOffsetNs()): DockerEvent {
  const attributes = { ...(input.actor.attributes ?? {}) };
  const ev: DockerEvent = {
    Type: input.type,
    Action: input.action,
    Actor: { ID: input.actor.id, Attributes: attributes },
    scope: 'local',
    time: Number(nowNs / 1_000_000_000n),
    timeNano: Number(nowNs),
  };
  if (input.type === 'container' || input.type === 'image') {
    ev.status = input.action;
    ev.id = input.actor.id;
    if (attributes.image) ev.from = attributes.image;
  }
  return ev;
}

let offset: bigint | undefined;
function epochOffsetNs(): bigint {
  offset ??= BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  return offset;
}

export interface EventPublisher {
  /** Publishes after the change is durable; never throws (failures are logged and counted). */
  publish(event: BerthEventInput): Promise<void>;
}

/** Keeps what was published, for service tests. */
export class RecordingEventPublisher implements EventPublisher {
  readonly events: DockerEvent[] = [];
  private readonly waiters: Array<{ match: (e: DockerEvent) => boolean; resolve: (e: DockerEvent) => void }> = [];

  async publish(event: BerthEventInput): Promise<void> {
    const ev = toDockerEvent(event);
    this.events.push(ev);
    for (const w of [...this.waiters]) {
      if (w.match(ev)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(ev);
      }
    }
  }

  /** Resolves with the first (past or future) event that matches. */
  waitFor(match: (e: DockerEvent) => boolean, timeoutMs = 10_000): Promise<DockerEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for event')), timeoutMs);
      this.waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }
}

/** Drops events: for tools that run a service without NATS. */
export class NullEventPublisher implements EventPublisher {
  async publish(): Promise<void> {}
}
