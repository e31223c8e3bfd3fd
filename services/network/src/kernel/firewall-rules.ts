import type { FirewallState } from '../domain/host.js';

/**
 * berth's iptables chains, rendered from the database alone. Rules are written in the exact form
 * `iptables-save` prints them, so the live chains can be compared line by line.
 *
 *   filter FORWARD     → <P>-FORWARD     (first rule)  per-bridge accept/drop, published ports
 *          <P>-FORWARD → <P>-ISOLATION   (first rule)  drop between different berth bridges
 *   nat    PREROUTING  → <P>-PREROUTING  (dst LOCAL)   DNAT of published ports
 *          OUTPUT      → <P>-OUTPUT      (dst LOCAL)   the same, for the host's own connections (loopback too)
 *          POSTROUTING → <P>-POSTROUTING               MASQUERADE: egress, loopback → container, hairpin
 */
export interface Chains {
  forward: string;
  isolation: string;
  prerouting: string;
  output: string;
  postrouting: string;
}

export function chainNames(prefix: string): Chains {
  return {
    forward: `${prefix}-FORWARD`,
    isolation: `${prefix}-ISOLATION`,
    prerouting: `${prefix}-PREROUTING`,
    output: `${prefix}-OUTPUT`,
    postrouting: `${prefix}-POSTROUTING`,
  };
}

/** The jumps from built-in chains, each of which must exist exactly once. */
export interface Jump {
  table: 'filter' | 'nat';
  chain: string;
  /** The rule as iptables-save prints it, without "-A <chain> ". */
  spec: string;
}

export function jumps(c: Chains): Jump[] {
  return [
    { table: 'filter', chain: 'FORWARD', spec: `-j ${c.forward}` },
    { table: 'nat', chain: 'PREROUTING', spec: `-m addrtype --dst-type LOCAL -j ${c.prerouting}` },
    { table: 'nat', chain: 'OUTPUT', spec: `-m addrtype --dst-type LOCAL -j ${c.output}` },
    { table: 'nat', chain: 'POSTROUTING', spec: `-j ${c.postrouting}` },
  ];
}

export interface RenderedRules {
  /** Chain name → its rules ("-A <chain> ..."), for each table. */
  filter: Map<string, string[]>;
  nat: Map<string, string[]>;
}

export function renderRules(c: Chains, state: FirewallState): RenderedRules {
  const fwd: string[] = [];
  const iso: string[] = [];
  const pre: string[] = [];
  const post: string[] = [];
  const F = (r: string) => fwd.push(`-A ${c.forward} ${r}`);
  fwd.push(`-A ${c.forward} -j ${c.isolation}`);
  for (const b of state.bridges) {
    if (!b.internal) {
      F(`-o ${b.device} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
      F(`-i ${b.device} ! -o ${b.device} -j ACCEPT`);
    }
    F(`-i ${b.device} -o ${b.device} -j ACCEPT`);
  }
  for (const p of state.ports) {
    F(`-d ${p.containerIp}/32 ! -i ${p.device} -o ${p.device} -p ${p.protocol} -m ${p.protocol} --dport ${p.containerPort} -j ACCEPT`);
  }
  for (const b of state.bridges) {
    // Nothing else reaches a container from outside its bridge; internal networks send nothing out.
    F(`-o ${b.device} -j DROP`);
    if (b.internal) F(`-i ${b.device} -j DROP`);
  }
  for (const a of state.bridges) {
    for (const b of state.bridges) if (a !== b) iso.push(`-A ${c.isolation} -i ${a.device} -o ${b.device} -j DROP`);
  }
  for (const b of state.bridges) {
    if (b.internal) continue;
    if (b.masquerade) post.push(`-A ${c.postrouting} -s ${b.subnet} ! -o ${b.device} -j MASQUERADE`);
    // Published ports reached from the host's loopback (route_localnet=1 on the bridge lets them out).
    post.push(`-A ${c.postrouting} -s 127.0.0.0/8 -o ${b.device} -j MASQUERADE`);
  }
  for (const p of state.ports) {
    const proto = `-p ${p.protocol} -m ${p.protocol}`;
    // Hairpin: a container reaching its own published port through a host address.
    post.push(`-A ${c.postrouting} -s ${p.containerIp}/32 -d ${p.containerIp}/32 ${proto} --dport ${p.containerPort} -j MASQUERADE`);
    const dst = p.hostIp === '0.0.0.0' ? '' : `-d ${p.hostIp}/32 `;
    pre.push(`${dst}${proto} --dport ${p.hostPort} -j DNAT --to-destination ${p.containerIp}:${p.containerPort}`);
  }
  return {
    filter: new Map([[c.forward, fwd], [c.isolation, iso]]),
    nat: new Map([
      [c.prerouting, pre.map((r) => `-A ${c.prerouting} ${r}`)],
      [c.output, pre.map((r) => `-A ${c.output} ${r}`)],
      [c.postrouting, post],
    ]),
  };
}

/** What iptables-save says about one table: each chain's rules in order. */
export function parseSave(text: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) chains.set(line.slice(1).split(' ')[0]!, chains.get(line.slice(1).split(' ')[0]!) ?? []);
    else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1]!;
      const list = chains.get(chain) ?? [];
      list.push(line);
      chains.set(chain, list);
    }
  }
  return chains;
}

/**
 * The iptables-restore --noflush input for one table: declaring a user chain flushes it, so berth's
 * chains are rewritten whole and atomically; jumps are inserted or de-duplicated as needed; no
 * other chain is touched.
 */
export function restoreInput(table: 'filter' | 'nat', desired: Map<string, string[]>, jumpFixes: string[]): string {
  const lines = [`*${table}`];
  for (const chain of desired.keys()) lines.push(`:${chain} - [0:0]`);
  lines.push(...jumpFixes);
  for (const rules of desired.values()) lines.push(...rules);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/** The commands that make each jump appear exactly once, given the live table. */
export function jumpFixes(table: 'filter' | 'nat', live: Map<string, string[]>, js: Jump[]): string[] {
  const out: string[] = [];
  for (const j of js.filter((x) => x.table === table)) {
    const count = (live.get(j.chain) ?? []).filter((r) => r === `-A ${j.chain} ${j.spec}`).length;
    if (count === 0) out.push(`-I ${j.chain} 1 ${j.spec}`);
    for (let i = 1; i < count; i++) out.push(`-D ${j.chain} ${j.spec}`);
  }
  return out;
}

/** The input that removes berth's chains and jumps entirely (uninstall, tests). */
export function removalInput(table: 'filter' | 'nat', live: Map<string, string[]>, c: Chains): string | undefined {
  const ours = Object.values(c).filter((name) => live.has(name));
  if (ours.length === 0) return undefined;
  const lines = [`*${table}`];
  for (const j of jumps(c).filter((x) => x.table === table)) {
    for (const r of live.get(j.chain) ?? []) if (r === `-A ${j.chain} ${j.spec}`) lines.push(`-D ${j.chain} ${j.spec}`);
  }
  for (const name of ours) lines.push(`-F ${name}`);
  for (const name of ours) lines.push(`-X ${name}`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}
