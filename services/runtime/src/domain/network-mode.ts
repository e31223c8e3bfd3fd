/** Docker's --network values: "none", "host", "container:<id|name>", or a network ("", "default", "bridge", a name). */
export type NetworkMode =
  | { kind: 'none' }
  | { kind: 'host' }
  | { kind: 'container'; target: string }
  | { kind: 'network'; name: string };

export function networkModeOf(mode: string): NetworkMode {
  if (mode === 'none') return { kind: 'none' };
  if (mode === 'host') return { kind: 'host' };
  if (mode.startsWith('container:')) return { kind: 'container', target: mode.slice('container:'.length) };
  return { kind: 'network', name: mode === '' || mode === 'default' ? 'bridge' : mode };
}
