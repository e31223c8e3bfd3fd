import type { runtime } from '@berth/proto';
import { asObject, optString, optStrings, type JsonObject } from './json-fields.js';

/**
 * Docker's EndpointSettings as a request carries it (create's `NetworkingConfig.EndpointsConfig`
 * values, `POST /networks/{id}/connect`'s `EndpointConfig`): aliases and IPAMConfig.IPv4Address.
 */
export function endpointConfigFromDocker(network: string, value: unknown, field: string): runtime.EndpointConfig {
  const e = asObject(value, field);
  const ipam = asObject(e['IPAMConfig'], `${field}.IPAMConfig`);
  return {
    network,
    aliases: optStrings(e, 'Aliases', `${field}.Aliases`),
    ipv4Address: optString(ipam, 'IPv4Address', `${field}.IPAMConfig.IPv4Address`),
  };
}

/** `NetworkingConfig.EndpointsConfig` of a create body: one entry per network, as the client ordered them. */
export function endpointsConfigFromDocker(config: JsonObject): runtime.EndpointConfig[] {
  const networking = asObject(config['NetworkingConfig'], 'NetworkingConfig');
  const endpoints = asObject(networking['EndpointsConfig'], 'NetworkingConfig.EndpointsConfig');
  return Object.entries(endpoints).map(([name, value]) => endpointConfigFromDocker(name, value, `NetworkingConfig.EndpointsConfig.${name}`));
}
