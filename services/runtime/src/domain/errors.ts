import { BerthError } from '@berth/kit';

/** Docker's message for a taken name (the gateway maps `already_exists` to 409). */
export function nameConflict(name: string, holder: string): BerthError {
  return new BerthError('already_exists',
    `Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
}

export function notRunning(id: string): BerthError {
  return new BerthError('failed_precondition', `Container ${id} is not running`);
}

export function removeRunning(id: string): BerthError {
  return new BerthError('failed_precondition',
    `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
}
