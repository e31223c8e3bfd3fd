import { runCommand } from '@berth/kit';
import type { FirewallState } from '../domain/host.js';
import {
  chainNames, jumpFixes, jumps, parseSave, removalInput, renderRules, restoreInput, type Chains, type RenderedRules,
} from './firewall-rules.js';

const TABLES = ['filter', 'nat'] as const;

/**
 * berth's chains through `iptables-restore --noflush` (one atomic transaction per table, never
 * touching other chains) and `iptables-save` (to check the jumps and compare). The last rules
 * written are remembered so an unchanged state costs no process at all.
 */
export class IptablesFirewall {
  readonly chains: Chains;
  private last: string | undefined;

  constructor(prefix: string, private readonly binaries = { save: 'iptables-save', restore: 'iptables-restore' }) {
    this.chains = chainNames(prefix);
  }

  private async live(table: (typeof TABLES)[number]): Promise<Map<string, string[]>> {
    const { stdout } = await runCommand(this.binaries.save, ['-t', table], { timeoutMs: 30_000 });
    return parseSave(stdout);
  }

  private async restore(input: string): Promise<void> {
    await runCommand(this.binaries.restore, ['-w', '--noflush'], { input, timeoutMs: 30_000 });
  }

  async apply(state: FirewallState, options: { verify?: boolean } = {}): Promise<boolean> {
    const desired = renderRules(this.chains, state);
    const key = JSON.stringify([...desired.filter, ...desired.nat]);
    if (!options.verify && this.last === key) return false;
    let changed = false;
    let input = '';
    for (const table of TABLES) {
      const want = desired[table];
      if (options.verify || this.last === undefined) {
        const live = await this.live(table);
        const fixes = jumpFixes(table, live, jumps(this.chains));
        if (fixes.length > 0 || differs(want, live)) changed = true;
        input += restoreInput(table, want, fixes);
      } else {
        input += restoreInput(table, want, []);
      }
    }
    // A verify that finds everything in place writes nothing (it runs periodically).
    if (!(options.verify && !changed && this.last === key)) await this.restore(input);
    this.last = key;
    return changed;
  }

  /** Removes berth's jumps and chains (and nothing else). */
  async remove(): Promise<void> {
    for (const table of TABLES) {
      const input = removalInput(table, await this.live(table), this.chains);
      if (input) await this.restore(input);
    }
    this.last = undefined;
  }

  /** The live rules of berth's chains, for tests and diagnostics. */
  async dump(): Promise<RenderedRules> {
    const out: RenderedRules = { filter: new Map(), nat: new Map() };
    const ours = new Set(Object.values(this.chains));
    for (const table of TABLES) {
      for (const [chain, rules] of await this.live(table)) if (ours.has(chain)) out[table].set(chain, rules);
    }
    return out;
  }
}

function differs(want: Map<string, string[]>, live: Map<string, string[]>): boolean {
  for (const [chain, rules] of want) {
    const have = live.get(chain);
    if (!have || have.length !== rules.length || have.some((r, i) => r !== rules[i])) return true;
  }
  return false;
}
