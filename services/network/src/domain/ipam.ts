import { BerthError, failedPrecondition, invalidArgument } from '@berth/kit';
import { contains, formatIp, lastAddress, overlaps, type Cidr } from './ipv4.js';

/**
 * IPAM: which addresses and subnets are free. Pure functions over what the database says is
 * taken; the caller holds the service's lock and persists the choice in the same transaction.
 */
export interface AddressSpace {
  subnet: Cidr;
  /** Dynamic allocation stays inside this sub-range (Docker's --ip-range); static addresses may not. */
  range?: Cidr | undefined;
  gateway: number;
}

/** Addresses never handed to a container: the network and broadcast addresses, and the gateway. */
function reserved(space: AddressSpace, ip: number): boolean {
  const { subnet } = space;
  if (ip === space.gateway) return true;
  if (subnet.prefix >= 31) return false;
  return ip === subnet.network || ip === lastAddress(subnet);
}

/** The lowest free address: an address freed is reused, and its MAC (derived from it) with it. */
export function allocateAddress(space: AddressSpace, used: ReadonlySet<number>): number {
  const block = space.range ?? space.subnet;
  const end = lastAddress(block);
  for (let ip = block.network; ip <= end; ip++) {
    if (!contains(space.subnet, ip) || reserved(space, ip) || used.has(ip)) continue;
    return ip;
  }
  throw new BerthError('resource_exhausted', `no available IPv4 addresses on this network's address pools`);
}

/** A static address (`--ip`) must be a host address of the subnet and free. */
export function checkStaticAddress(space: AddressSpace, ip: number, used: ReadonlySet<number>): void {
  if (!contains(space.subnet, ip)) {
    throw invalidArgument(`no configured subnet or ip-range contain the IP address ${formatIp(ip)}`);
  }
  if (reserved(space, ip)) throw invalidArgument(`address ${formatIp(ip)} is reserved on this network`);
  if (used.has(ip)) throw failedPrecondition(`Address already in use: ${formatIp(ip)}`);
}

/** Docker's default: the first host address of the subnet. */
export function defaultGateway(subnet: Cidr): number {
  return subnet.prefix >= 31 ? subnet.network : subnet.network + 1;
}

/** Validates a user's subnet / gateway / ip-range triple. */
export function checkSpace(space: AddressSpace): void {
  if (space.subnet.prefix > 30) throw invalidArgument(`subnet is too small: /${space.subnet.prefix}`);
  if (!contains(space.subnet, space.gateway)) {
    throw invalidArgument(`gateway ${formatIp(space.gateway)} is not in subnet`);
  }
  if (space.range && !(contains(space.subnet, space.range.network) && space.range.prefix >= space.subnet.prefix)) {
    throw invalidArgument(`ip-range is not contained in subnet`);
  }
}

/**
 * The first block of `prefix` bits, walking the pools in order, that overlaps nothing taken (other
 * networks' subnets and the host's routes).
 */
export function allocateSubnet(pools: readonly Cidr[], prefix: number, taken: readonly Cidr[]): Cidr {
  for (const pool of pools) {
    const step = 2 ** (32 - prefix);
    for (let net = pool.network; net + step - 1 <= lastAddress(pool) && prefix >= pool.prefix; net += step) {
      const candidate = { network: net, prefix };
      if (!taken.some((t) => overlaps(t, candidate))) return candidate;
    }
  }
  throw new BerthError(
    'resource_exhausted',
    'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
  );
}
