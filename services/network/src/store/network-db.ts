import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Driver, Endpoint, Network, Protocol, Sandbox, StoredPortMapping } from '../domain/model.js';
import type { NetworkStore } from '../domain/store.js';

/**
 * `<stateRoot>/network/network.db`. Endpoints are also the IPAM: an address is taken while its
 * endpoint row exists (UNIQUE per network). Ports are unique per (protocol, host ip, host port);
 * wildcard-vs-specific conflicts are checked by the domain before inserting.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS networks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  driver TEXT NOT NULL,
  created TEXT NOT NULL,
  internal INTEGER NOT NULL DEFAULT 0,
  subnet TEXT NOT NULL DEFAULT '',
  gateway TEXT NOT NULL DEFAULT '',
  ip_range TEXT NOT NULL DEFAULT '',
  bridge TEXT NOT NULL DEFAULT '',
  mtu INTEGER NOT NULL DEFAULT 1500,
  masquerade INTEGER NOT NULL DEFAULT 1,
  options TEXT NOT NULL DEFAULT '{}',
  labels TEXT NOT NULL DEFAULT '{}',
  predefined INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sandboxes (
  container_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  hostname TEXT NOT NULL,
  netns_path TEXT NOT NULL,
  created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS endpoints (
  container_id TEXT NOT NULL REFERENCES sandboxes(container_id) ON DELETE CASCADE,
  network_id TEXT NOT NULL REFERENCES networks(id),
  name TEXT NOT NULL,
  address TEXT NOT NULL,
  prefix INTEGER NOT NULL,
  mac TEXT NOT NULL,
  gateway TEXT NOT NULL,
  aliases TEXT NOT NULL DEFAULT '[]',
  interface TEXT NOT NULL,
  host_interface TEXT NOT NULL UNIQUE,
  seq INTEGER NOT NULL,
  PRIMARY KEY (container_id, network_id),
  UNIQUE (network_id, address)
);
CREATE INDEX IF NOT EXISTS endpoints_by_address ON endpoints(address);
CREATE TABLE IF NOT EXISTS ports (
  container_id TEXT NOT NULL REFERENCES sandboxes(container_id) ON DELETE CASCADE,
  network_id TEXT NOT NULL,
  protocol TEXT NOT NULL,
  container_port INTEGER NOT NULL,
  host_ip TEXT NOT NULL,
  host_port INTEGER NOT NULL,
  PRIMARY KEY (protocol, host_ip, host_port)
);
`;

type Row = Record<string, unknown>;

const toNetwork = (r: Row): Network => ({
  id: r.id as string,
  name: r.name as string,
  driver: r.driver as Driver,
  created: r.created as string,
  internal: r.internal === 1,
  subnet: r.subnet as string,
  gateway: r.gateway as string,
  ipRange: r.ip_range as string,
  bridge: r.bridge as string,
  mtu: r.mtu as number,
  masquerade: r.masquerade === 1,
  options: JSON.parse(r.options as string) as Record<string, string>,
  labels: JSON.parse(r.labels as string) as Record<string, string>,
  predefined: r.predefined === 1,
});

const networkParams = (n: Network) => ({
  id: n.id, name: n.name, driver: n.driver, created: n.created, internal: n.internal ? 1 : 0, subnet: n.subnet,
  gateway: n.gateway, ip_range: n.ipRange, bridge: n.bridge, mtu: n.mtu, masquerade: n.masquerade ? 1 : 0,
  options: JSON.stringify(n.options), labels: JSON.stringify(n.labels), predefined: n.predefined ? 1 : 0,
});

const toSandbox = (r: Row): Sandbox => ({
  containerId: r.container_id as string, name: r.name as string, hostname: r.hostname as string,
  netnsPath: r.netns_path as string, created: r.created as string,
});

const toEndpoint = (r: Row): Endpoint => ({
  containerId: r.container_id as string, networkId: r.network_id as string, name: r.name as string,
  address: r.address as string, prefix: r.prefix as number, mac: r.mac as string, gateway: r.gateway as string,
  aliases: JSON.parse(r.aliases as string) as string[], interface: r.interface as string,
  hostInterface: r.host_interface as string, seq: r.seq as number,
});

const toPort = (r: Row): StoredPortMapping => ({
  containerId: r.container_id as string, networkId: r.network_id as string, protocol: r.protocol as Protocol,
  containerPort: r.container_port as number, hostIp: r.host_ip as string, hostPort: r.host_port as number,
});

export class NetworkDb implements NetworkStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  private all(sql: string, ...params: unknown[]): Row[] {
    return this.db.prepare(sql).all(...params) as Row[];
  }

  private one(sql: string, ...params: unknown[]): Row | undefined {
    return this.db.prepare(sql).get(...params) as Row | undefined;
  }

  insertNetwork(n: Network): void {
    this.db.prepare(`INSERT INTO networks (id, name, driver, created, internal, subnet, gateway, ip_range, bridge, mtu,
      masquerade, options, labels, predefined) VALUES (@id, @name, @driver, @created, @internal, @subnet, @gateway,
      @ip_range, @bridge, @mtu, @masquerade, @options, @labels, @predefined)`).run(networkParams(n));
  }

  updateNetwork(n: Network): void {
    this.db.prepare(`UPDATE networks SET name = @name, driver = @driver, internal = @internal, subnet = @subnet,
      gateway = @gateway, ip_range = @ip_range, bridge = @bridge, mtu = @mtu, masquerade = @masquerade,
      options = @options, labels = @labels WHERE id = @id`).run(networkParams(n));
  }

  deleteNetwork(id: string): void {
    this.db.prepare('DELETE FROM networks WHERE id = ?').run(id);
  }

  getNetwork(id: string): Network | undefined {
    const r = this.one('SELECT * FROM networks WHERE id = ?', id);
    return r && toNetwork(r);
  }

  networkByName(name: string): Network | undefined {
    const r = this.one('SELECT * FROM networks WHERE name = ?', name);
    return r && toNetwork(r);
  }

  listNetworks(): Network[] {
    return this.all('SELECT * FROM networks ORDER BY created, name').map(toNetwork);
  }

  insertSandbox(s: Sandbox): void {
    this.db.prepare('INSERT INTO sandboxes (container_id, name, hostname, netns_path, created) VALUES (?, ?, ?, ?, ?)')
      .run(s.containerId, s.name, s.hostname, s.netnsPath, s.created);
  }

  deleteSandbox(containerId: string): void {
    this.db.prepare('DELETE FROM sandboxes WHERE container_id = ?').run(containerId);
  }

  getSandbox(containerId: string): Sandbox | undefined {
    const r = this.one('SELECT * FROM sandboxes WHERE container_id = ?', containerId);
    return r && toSandbox(r);
  }

  listSandboxes(): Sandbox[] {
    return this.all('SELECT * FROM sandboxes ORDER BY created').map(toSandbox);
  }

  insertEndpoint(e: Endpoint): void {
    this.db.prepare(`INSERT INTO endpoints (container_id, network_id, name, address, prefix, mac, gateway, aliases,
      interface, host_interface, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(e.containerId, e.networkId, e.name,
      e.address, e.prefix, e.mac, e.gateway, JSON.stringify(e.aliases), e.interface, e.hostInterface, e.seq);
  }

  deleteEndpoint(containerId: string, networkId: string): void {
    this.db.prepare('DELETE FROM endpoints WHERE container_id = ? AND network_id = ?').run(containerId, networkId);
  }

  endpointsOf(containerId: string): Endpoint[] {
    return this.all('SELECT * FROM endpoints WHERE container_id = ? ORDER BY seq', containerId).map(toEndpoint);
  }

  endpointsOn(networkId: string): Endpoint[] {
    return this.all('SELECT * FROM endpoints WHERE network_id = ? ORDER BY address', networkId).map(toEndpoint);
  }

  endpointByAddress(address: string): Endpoint | undefined {
    const r = this.one('SELECT * FROM endpoints WHERE address = ?', address);
    return r && toEndpoint(r);
  }

  listEndpoints(): Endpoint[] {
    return this.all('SELECT * FROM endpoints ORDER BY container_id, seq').map(toEndpoint);
  }

  insertPort(p: StoredPortMapping): void {
    this.db.prepare(`INSERT INTO ports (container_id, network_id, protocol, container_port, host_ip, host_port)
      VALUES (?, ?, ?, ?, ?, ?)`).run(p.containerId, p.networkId, p.protocol, p.containerPort, p.hostIp, p.hostPort);
  }

  portsOf(containerId: string): StoredPortMapping[] {
    return this.all('SELECT * FROM ports WHERE container_id = ? ORDER BY rowid', containerId).map(toPort);
  }

  listPorts(): StoredPortMapping[] {
    return this.all('SELECT * FROM ports ORDER BY rowid').map(toPort);
  }

  deletePorts(containerId: string, networkId?: string): void {
    if (networkId === undefined) this.db.prepare('DELETE FROM ports WHERE container_id = ?').run(containerId);
    else this.db.prepare('DELETE FROM ports WHERE container_id = ? AND network_id = ?').run(containerId, networkId);
  }
}
