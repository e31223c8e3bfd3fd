import { invalidArgument } from '@berth/kit';

/**
 * IPv4 arithmetic on unsigned 32-bit numbers: parsing, CIDR blocks, overlap tests and the
 * Docker-style MAC derived from an address. berth's networks are IPv4 only.
 */
export interface Cidr {
  /** The network address (host bits cleared). */
  readonly network: number;
  readonly prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIp(text: string): number {
  const parts = text.trim().split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) throw invalidArgument(`invalid IPv4 address: ${JSON.stringify(text)}`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function isIp(text: string): boolean {
  try {
    parseIp(text);
    return true;
  } catch {
    return false; // not an address: the caller only asks yes or no
  }
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.1.2.3/16" → { network: 10.1.0.0, prefix: 16 }: host bits are cleared, as Docker does. */
export function parseCidr(text: string): Cidr {
  const [ip, len, ...rest] = text.trim().split('/');
  const prefix = Number(len);
  if (rest.length || len === undefined || !/^\d{1,2}$/.test(len) || prefix > 32) {
    throw invalidArgument(`invalid CIDR address: ${JSON.stringify(text)}`);
  }
  return { network: (parseIp(ip!) & maskOf(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.network)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function lastAddress(c: Cidr): number {
  return c.network + size(c) - 1;
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.network;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b.network) || contains(b, a.network);
}

/** "10.1.0.2" + /16 → "10.1.0.2/16". */
export function withPrefix(ip: number, prefix: number): string {
  return `${formatIp(ip)}/${prefix}`;
}

/** Docker's container MAC: 02:42 followed by the four address bytes (stable across re-creation). */
export function macFor(ip: number): string {
  const hex = (b: number) => b.toString(16).padStart(2, '0');
  return ['02', '42', hex(ip >>> 24), hex((ip >>> 16) & 255), hex((ip >>> 8) & 255), hex(ip & 255)].join(':');
}
