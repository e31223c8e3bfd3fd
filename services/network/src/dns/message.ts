/**
 * The little of the DNS wire format (RFC 1035) the embedded server needs: read a query's header
 * and first question, write an answer with A or PTR records, or an error code.
 */
export const RType = { A: 1, PTR: 12, AAAA: 28, ANY: 255 } as const;
export const RCode = { NoError: 0, FormErr: 1, ServFail: 2, NxDomain: 3, NotImp: 4, Refused: 5 } as const;

export interface Query {
  id: number;
  flags: number;
  name: string;
  type: number;
  class: number;
  /** The question's bytes (header excluded), copied into the answer. */
  question: Buffer;
}

const MAX_NAME = 255;

/** Parses a query; undefined when it is not a well-formed single-question query. */
export function parseQuery(msg: Buffer): Query | undefined {
  if (msg.length < 12) return undefined;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off]!;
    off += 1;
    if (len === 0) break;
    if (len > 63 || off + len > msg.length) return undefined; // no compression in a question
    labels.push(msg.subarray(off, off + len).toString('latin1'));
    off += len;
  }
  if (off + 4 > msg.length) return undefined;
  const name = labels.join('.');
  if (name.length > MAX_NAME) return undefined;
  return {
    id: msg.readUInt16BE(0),
    flags,
    name,
    type: msg.readUInt16BE(off),
    class: msg.readUInt16BE(off + 2),
    question: msg.subarray(12, off + 4),
  };
}

export function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  const bufs = parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')]));
  return Buffer.concat([...bufs, Buffer.from([0])]);
}

export interface Record {
  type: number;
  ttl: number;
  data: Buffer;
}

export function aRecord(address: string, ttl: number): Record {
  return { type: RType.A, ttl, data: Buffer.from(address.split('.').map(Number)) };
}

export function ptrRecord(name: string, ttl: number): Record {
  return { type: RType.PTR, ttl, data: encodeName(name) };
}

/** An answer to `q`: its question echoed, the records named by a pointer to it (offset 12). */
export function buildResponse(q: Query, rcode: number, records: readonly Record[] = []): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  const opcode = q.flags & 0x7800;
  const rd = q.flags & 0x0100;
  header.writeUInt16BE(0x8000 | opcode | 0x0400 | rd | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const answers = records.map((r) => {
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0);
    fixed.writeUInt16BE(r.type, 2);
    fixed.writeUInt16BE(1, 4);
    fixed.writeUInt32BE(r.ttl, 6);
    fixed.writeUInt16BE(r.data.length, 10);
    return Buffer.concat([fixed, r.data]);
  });
  return Buffer.concat([header, q.question, ...answers]);
}

/** A minimal error answer for a message that could not be parsed as a query (id kept if present). */
export function formatError(msg: Buffer): Buffer | undefined {
  if (msg.length < 2) return undefined;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8000 | RCode.FormErr, 2);
  return header;
}
