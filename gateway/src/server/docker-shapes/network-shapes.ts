import { createHash } from 'node:crypto';
import { BerthError } from '@berth/kit';
import type { network } from '@berth/proto';
import { endpointId } from './container-network.js';
import { asObject, optBool, optString, optStringMap } from './json-fields.js';

/** Sandbox ids are not kept by berth: a stable hash of the container id stands in. */
export function sandboxId(containerId: string): string {
  return createHash('sha256').update(`sandbox/${containerId}`).digest('hex');
}

/**
 * Docker's network resource (`GET /networks/{id}`, and the entries of `GET /networks`, which list
 * no containers). Containers are the endpoints of running containers, keyed by container id.
 */
export function networkResource(n: network.Network, withContainers: boolean): Record<string, unknown> {
  const containers = withContainers
    ? Object.fromEntries(
        n.endpoints.map((e) => [
          e.containerId,
          { Name: e.name, EndpointID: endpointId(e.containerId, n.id), MacAddress: e.macAddress, IPv4Address: e.ipv4Address, IPv6Address: '' },
        ]),
      )
    : {};
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: n.scope || 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: null,
      Config: n.ipam.map((c) => ({ Subnet: c.subnet, Gateway: c.gateway, ...(c.ipRange && { IPRange: c.ipRange }) })),
    },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.options,
    Labels: n.labels,
  };
}

/** `POST /networks/create`: Docker's NetworkCreateRequest → the network service's request. */
export function createNetworkFromDocker(body: unknown): network.CreateNetworkRequest {
  const b = asObject(body, 'NetworkCreateRequest');
  const name = optString(b, 'Name');
  if (!name) throw new BerthError('invalid_argument', 'network name must be specified');
  if (optBool(b, 'EnableIPv6')) throw new BerthError('invalid_argument', 'IPv6 networks are not supported by berth');
  const ipam = asObject(b['IPAM'], 'IPAM');
  const driver = optString(ipam, 'Driver', 'IPAM.Driver');
  if (driver && driver !== 'default') throw new BerthError('not_found', `plugin "${driver}" not found`);
  const configs = ipam['Config'];
  if (configs !== undefined && configs !== null && !Array.isArray(configs)) {
    throw new BerthError('invalid_argument', 'invalid JSON: field IPAM.Config: expected a list');
  }
  return {
    name,
    driver: optString(b, 'Driver') || 'bridge',
    internal: optBool(b, 'Internal'),
    ipam: ((configs as unknown[] | null | undefined) ?? []).map((entry, i) => {
      const c = asObject(entry, `IPAM.Config[${i}]`);
      return {
        subnet: optString(c, 'Subnet', `IPAM.Config[${i}].Subnet`),
        gateway: optString(c, 'Gateway', `IPAM.Config[${i}].Gateway`),
        ipRange: optString(c, 'IPRange', `IPAM.Config[${i}].IPRange`),
      };
    }),
    options: optStringMap(b, 'Options'),
    labels: optStringMap(b, 'Labels'),
    checkDuplicate: b['CheckDuplicate'] === undefined ? true : optBool(b, 'CheckDuplicate'),
  };
}
