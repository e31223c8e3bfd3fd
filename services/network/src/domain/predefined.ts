import { newId } from '@berth/kit';
import type { NetworkContext } from './context.js';
import { defaultGateway } from './ipam.js';
import { formatCidr, formatIp, parseCidr } from './ipv4.js';
import { Driver, Option, PREDEFINED, type Network } from './model.js';

function blank(name: string, driver: Network['driver']): Network {
  return {
    id: newId(), name, driver, created: new Date().toISOString(), internal: false, subnet: '', gateway: '', ipRange: '',
    bridge: '', mtu: 0, masquerade: false, options: {}, labels: {}, predefined: true,
  };
}

/**
 * The three networks Docker users expect: `bridge` (the default, device and subnet from the
 * config), `host` and `none`. Made once; a changed bridge config is applied while no endpoint uses it.
 */
export function ensurePredefined(ctx: NetworkContext): void {
  const { store, settings } = ctx;
  const subnet = parseCidr(settings.bridgeSubnet);
  const want = {
    subnet: formatCidr(subnet), gateway: formatIp(defaultGateway(subnet)), bridge: settings.bridgeName, mtu: settings.defaultMtu,
    options: {
      [Option.DefaultBridge]: 'true', [Option.BridgeName]: settings.bridgeName, [Option.Masquerade]: 'true',
      [Option.Mtu]: String(settings.defaultMtu),
    },
  };
  const [bridgeName, hostName, noneName] = PREDEFINED;
  store.transaction(() => {
    const current = store.networkByName(bridgeName);
    if (!current) {
      store.insertNetwork({ ...blank(bridgeName, Driver.Bridge), ...want, masquerade: true });
    } else if (current.subnet !== want.subnet || current.bridge !== want.bridge || current.mtu !== want.mtu) {
      if (store.endpointsOn(current.id).length === 0) store.updateNetwork({ ...current, ...want });
      else ctx.logger.warn({ network: bridgeName }, 'bridge config changed but containers use it: keeping the old one (applied at a later start with no containers on it)');
    }
    if (!store.networkByName(hostName)) store.insertNetwork(blank(hostName, Driver.Host));
    if (!store.networkByName(noneName)) store.insertNetwork(blank(noneName, Driver.Null));
  });
}
