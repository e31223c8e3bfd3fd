import type { Container } from './container.js';
import { publish, type RuntimeContext } from './context.js';
import { SIGKILL } from './signals.js';
import { restartContainer } from './start-container.js';
import { stopContainer } from './stop-container.js';

/**
 * --health-on-failure (podman's): what happens when a container turns unhealthy. "kill" is not a
 * user's stop, so a restart policy still applies to the exit; "stop" is one; "restart" is
 * Docker's restart (stop, then start).
 */
export async function onUnhealthy(ctx: RuntimeContext, c: Container): Promise<void> {
  const action = c.spec.healthOnFailure || 'none';
  if (action === 'none') return;
  ctx.logger.info({ id: c.id, action }, 'container unhealthy: health-on-failure');
  try {
    if (action === 'kill') {
      await ctx.runtime.kill(c.id, SIGKILL, true);
      await publish(ctx, c, 'kill', { signal: String(SIGKILL) });
    } else if (action === 'stop') {
      await stopContainer(ctx, c.id, {});
    } else if (action === 'restart') {
      await restartContainer(ctx, c.id);
    }
  } catch (err) {
    ctx.logger.warn({ err, id: c.id, action }, 'health-on-failure action failed');
  }
}
