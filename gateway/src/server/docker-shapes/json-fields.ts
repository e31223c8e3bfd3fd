import { BerthError } from '@berth/kit';

/**
 * Typed reads of fields in a Docker JSON body. A wrong type is a 400 naming the field, as Docker's
 * own decoder refuses it ("json: cannot unmarshal number into Go struct field Config.Env").
 */
export type JsonObject = Record<string, unknown>;

const wrongType = (field: string, want: string, value: unknown): BerthError =>
  new BerthError('invalid_argument', `invalid JSON: field ${field}: expected ${want}, got ${JSON.stringify(value)}`);

export function asObject(value: unknown, field: string): JsonObject {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(field, 'an object', value);
  return value as JsonObject;
}

export function optString(obj: JsonObject, key: string, field = key): string {
  const v = obj[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw wrongType(field, 'a string', v);
  return v;
}

export function optBool(obj: JsonObject, key: string, field = key): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw wrongType(field, 'a boolean', v);
  return v;
}

export function optInt(obj: JsonObject, key: string, field = key): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(field, 'an integer', v);
  return v;
}

export function optStrings(obj: JsonObject, key: string, field = key): string[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw wrongType(field, 'a list of strings', v);
  return v as string[];
}

/**
 * Docker's strslice: a list, a single string (older clients), or null. `undefined` means "not set"
 * (use the image's), which is not the same as an empty list.
 */
export function optStrSlice(obj: JsonObject, key: string, field = key): string[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw wrongType(field, 'a list of strings', v);
  return v as string[];
}

export function optStringMap(obj: JsonObject, key: string, field = key): Record<string, string> {
  const v = asObject(obj[key], field);
  for (const [k, s] of Object.entries(v)) if (typeof s !== 'string') throw wrongType(`${field}.${k}`, 'a string', s);
  return v as Record<string, string>;
}
