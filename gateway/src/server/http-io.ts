import type { IncomingMessage, ServerResponse } from 'node:http';
import { BerthError } from '@berth/kit';

/** Request bodies larger than this are refused: Engine API bodies are small JSON documents. */
const MAX_JSON_BODY = 4 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_JSON_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BerthError('invalid_argument', `request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The JSON body, or `undefined` when there is none (Docker accepts empty bodies on most POSTs). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BerthError('invalid_argument', `invalid JSON: ${(err as Error).message}`, { cause: err });
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value) + '\n');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

/** Docker's boolean query values: "1", "true", "True" are true; absent, "", "0", "false" are not. */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null) return false;
  return !['', '0', 'false', 'no', 'off'].includes(v.toLowerCase());
}

/** An integer query value; `undefined` when absent or empty, 400 when not a number. */
export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new BerthError('invalid_argument', `invalid value for ${name}: ${v}`);
  return n;
}
