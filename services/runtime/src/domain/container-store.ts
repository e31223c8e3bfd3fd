import type { Container, ContainerSpec, ContainerState, HealthState, Status } from './container.js';
import type { ContainerNetworks } from './network-attachments.js';

export type StateUpdate = Partial<ContainerState> & {
  monitorPid?: number;
  restartCount?: number;
  netnsPath?: string;
  /** Stopped or killed by a user: restart policies (but `always`) leave it stopped. */
  manuallyStopped?: boolean;
  /** null clears it. */
  health?: HealthState | null;
};

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
  /** Replaces the spec (UpdateContainer). */
  updateSpec(id: string, spec: ContainerSpec): void;
  /** Moves the name; `already_exists` when taken. */
  rename(id: string, name: string): void;
  /** Ids of containers whose record holds endpoints or published ports. */
  withEndpoints(): string[];
  /** Replaces the container's networks and published ports. */
  updateNetworks(id: string, networks: ContainerNetworks): void;
  delete(id: string): void;
}
