import type { Container, ContainerState, Status } from './container.js';

export type StateUpdate = Partial<ContainerState> & { monitorPid?: number; restartCount?: number; netnsPath?: string };

/** Where containers are kept (containerd's containers.Store, plus the name reservation). */
export interface ContainerStore {
  /** `already_exists` with Docker's message when the name is taken. */
  insert(c: Container): void;
  /** The id holding a name, if any. */
  nameHolder(name: string): string | undefined;
  get(id: string): Container | undefined;
  idsWithPrefix(prefix: string, limit?: number): string[];
  /** Newest first. */
  list(statuses?: Status[]): Container[];
  updateState(id: string, update: StateUpdate): void;
  delete(id: string): void;
}
