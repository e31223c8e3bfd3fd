import { BerthError } from '@berth/kit';
import { Status } from './container.js';

/**
 * Which status may follow which (Docker's lifecycle). `removing` is entered only from stopped
 * states: a forced remove kills and waits for the exit first. `dead` marks a failed removal.
 */
const NEXT: Record<Status, readonly Status[]> = {
  [Status.Created]: [Status.Running, Status.Removing, Status.Created],
  [Status.Running]: [Status.Exited, Status.Paused, Status.Restarting],
  [Status.Paused]: [Status.Running, Status.Exited, Status.Restarting],
  [Status.Restarting]: [Status.Running, Status.Exited],
  [Status.Exited]: [Status.Running, Status.Removing, Status.Restarting, Status.Exited],
  [Status.Removing]: [Status.Dead, Status.Removing],
  [Status.Dead]: [Status.Removing],
};

export function canTransition(from: Status, to: Status): boolean {
  return NEXT[from].includes(to);
}

/** Throws `failed_precondition` for a transition the lifecycle does not allow. */
export function assertTransition(id: string, from: Status, to: Status): void {
  if (!canTransition(from, to)) {
    throw new BerthError('failed_precondition', `container ${id} cannot go from ${from} to ${to}`);
  }
}
