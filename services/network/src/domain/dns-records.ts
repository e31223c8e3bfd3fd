import type { Endpoint } from './model.js';
import type { NetworkStore } from './store.js';

/**
 * What the embedded DNS server knows: the asker is identified by its source address, and sees the
 * names (container name, aliases, 12-digit short id, full id, also as `<name>.<network>`) of
 * endpoints on the networks it shares with them, the network it asked on first. The default
 * bridge resolves names too (Docker's does not). Anything else is forwarded upstream — unless the
 * asker is no container of ours (the server is no open resolver) or sits on internal networks
 * only (forwarding would be a way out of them): those are refused.
 */
export type Lookup =
  | { kind: 'forward' }
  | { kind: 'refuse' }
  | { kind: 'addresses'; addresses: string[] }
  | { kind: 'name'; name: string };

/** What to do with a name the server does not know itself. */
export function unknownName(store: NetworkStore, askerIp: string): Lookup {
  const asker = store.endpointByAddress(askerIp);
  if (!asker) return { kind: 'refuse' };
  const egress = store.endpointsOf(asker.containerId).some((e) => store.getNetwork(e.networkId)?.internal === false);
  return egress ? { kind: 'forward' } : { kind: 'refuse' };
}

function matches(ep: Endpoint, name: string): boolean {
  if (ep.name.toLowerCase() === name) return true;
  if (ep.aliases.some((a) => a.toLowerCase() === name)) return true;
  if (!/^[0-9a-f]+$/.test(name)) return false;
  return name.length === 12 ? ep.containerId.startsWith(name) : name.length === 64 && ep.containerId === name;
}

function askerNetworks(store: NetworkStore, askerIp: string, serverIp: string): string[] | undefined {
  const asker = store.endpointByAddress(askerIp);
  if (!asker) return undefined;
  const ids = store.endpointsOf(asker.containerId).map((e) => e.networkId);
  const here = store.listNetworks().find((n) => n.gateway === serverIp && ids.includes(n.id));
  return here ? [here.id, ...ids.filter((id) => id !== here.id)] : ids;
}

export function lookupAddress(store: NetworkStore, askerIp: string, serverIp: string, qname: string): Lookup {
  const nets = askerNetworks(store, askerIp, serverIp);
  if (!nets) return { kind: 'refuse' };
  let name = qname.toLowerCase().replace(/\.$/, '');
  let scope = nets;
  for (const id of nets) {
    const n = store.getNetwork(id);
    const suffix = n && `.${n.name.toLowerCase()}`;
    if (suffix && name.endsWith(suffix) && name.length > suffix.length) {
      name = name.slice(0, -suffix.length);
      scope = [id];
      break;
    }
  }
  const addresses: string[] = [];
  for (const id of scope) {
    for (const ep of store.endpointsOn(id)) if (matches(ep, name) && !addresses.includes(ep.address)) addresses.push(ep.address);
  }
  return addresses.length ? { kind: 'addresses', addresses } : unknownName(store, askerIp);
}

/** PTR for `d.c.b.a.in-addr.arpa` of an endpoint on a network the asker shares. */
export function lookupPointer(store: NetworkStore, askerIp: string, serverIp: string, qname: string): Lookup {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa\.?$/i.exec(qname);
  const nets = askerNetworks(store, askerIp, serverIp);
  if (!nets) return { kind: 'refuse' };
  if (!m) return unknownName(store, askerIp);
  const ip = `${m[4]}.${m[3]}.${m[2]}.${m[1]}`;
  const ep = store.endpointByAddress(ip);
  if (!ep || !nets.includes(ep.networkId) || !ep.name) return unknownName(store, askerIp);
  const n = store.getNetwork(ep.networkId);
  return { kind: 'name', name: n ? `${ep.name}.${n.name}` : ep.name };
}
