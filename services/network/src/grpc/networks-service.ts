import { invalidArgument, serve, type ServiceRegistration } from '@berth/kit';
import { network } from '@berth/proto';
import type { NetworkService } from '../domain/network-service.js';
import { endpointOut, endpointRequestIn, networkOut, portIn, portOut } from './convert.js';

const required = (value: string, what: string): string => {
  if (!value) throw invalidArgument(`${what} is required`);
  return value;
};

/** berth.network.v1.Networks: decode, call the domain, encode. */
export function networksService(svc: NetworkService): ServiceRegistration {
  return serve(network.NetworksService, {
    createNetwork: async (req) => ({
      network: networkOut(
        await svc.createNetwork({
          name: required(req.name, 'name'), driver: req.driver, internal: req.internal, ipam: req.ipam,
          options: req.options, labels: req.labels,
        }),
      ),
      warning: '',
    }),
    removeNetwork: async (req) => (await svc.removeNetwork(required(req.id, 'id')), {}),
    getNetwork: async (req) => ({ network: networkOut(svc.getNetwork(required(req.id, 'id'))) }),
    listNetworks: async (req) => ({ networks: svc.listNetworks(req.filters).map(networkOut) }),
    pruneNetworks: async (req) => ({ deleted: await svc.pruneNetworks(req.filters) }),
    setupSandbox: async (req) => {
      const r = await svc.setupSandbox({
        containerId: required(req.containerId, 'container_id'), containerName: req.containerName, hostname: req.hostname,
        endpoints: req.endpoints.map(endpointRequestIn), ports: req.ports.map(portIn),
      });
      return {
        netnsPath: r.netnsPath, endpoints: r.endpoints.map(endpointOut), ports: r.ports.map(portOut),
        dnsServers: r.dnsServers, dnsSearch: r.dnsSearch, hosts: r.hosts,
      };
    },
    teardownSandbox: async (req) => (await svc.teardownSandbox(required(req.containerId, 'container_id')), {}),
    connectContainer: async (req) => ({
      endpoint: endpointOut(
        await svc.connectContainer({
          containerId: required(req.containerId, 'container_id'), containerName: req.containerName,
          endpoint: endpointRequestIn(req.endpoint),
        }),
      ),
    }),
    disconnectContainer: async (req) => (
      await svc.disconnectContainer({ containerId: required(req.containerId, 'container_id'), network: required(req.network, 'network'), force: req.force }),
      {}
    ),
    reconcile: async () => svc.reconcile(),
  });
}
