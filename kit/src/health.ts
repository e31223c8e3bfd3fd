import { health } from '@berth/proto';
import { BerthError } from './errors.js';
import type { Handlers } from './grpc-types.js';

type Status = 'SERVING' | 'NOT_SERVING';
const S = health.HealthCheckResponse_ServingStatus;

/** grpc.health.v1 state of one server: "" is the whole server, other keys are service names. */
export class HealthState {
  private readonly statuses = new Map<string, Status>();
  private readonly watchers = new Set<() => void>();

  set(service: string, status: Status): void {
    this.statuses.set(service, status);
    for (const w of this.watchers) w();
  }

  shutdown(): void {
    for (const key of this.statuses.keys()) this.set(key, 'NOT_SERVING');
  }

  private status(service: string): health.HealthCheckResponse_ServingStatus {
    const s = this.statuses.get(service);
    if (s === undefined) return S.SERVICE_UNKNOWN;
    return s === 'SERVING' ? S.SERVING : S.NOT_SERVING;
  }

  handlers(): Handlers<typeof health.HealthService> {
    const self = this;
    return {
      async check(req) {
        if (!self.statuses.has(req.service)) throw new BerthError('not_found', `unknown service ${req.service}`);
        return { status: self.status(req.service) };
      },
      async *watch(req, ctx) {
        let last: number | undefined;
        while (!ctx.signal.aborted) {
          const now = self.status(req.service);
          if (now !== last) {
            last = now;
            yield { status: now };
          }
          await new Promise<void>((resolve) => {
            const w = () => {
              self.watchers.delete(w);
              resolve();
            };
            self.watchers.add(w);
            ctx.signal.addEventListener('abort', w, { once: true });
          });
        }
      },
    };
  }
}
