import type { ServiceDef } from './grpc-types.js';

/** A response a handler serialized itself (a cached encoding); kit sends its bytes as they are. */
class PreEncoded {
  constructor(readonly bytes: Buffer) {}
}

/**
 * Lets a unary handler answer with bytes it encoded (and cached) itself, e.g.
 * `preEncoded<ListContainersResponse>(ListContainersResponse.encode(res).finish())`: the bytes
 * must be an encoding of the method's response message. Typed as the response so handlers
 * type-check; only kit's server looks inside.
 */
export function preEncoded<T>(bytes: Uint8Array): T {
  return new PreEncoded(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as unknown as T;
}

/** The definition with serializers that pass pre-encoded responses through. */
export function withPreEncoded(definition: ServiceDef): ServiceDef {
  const out: ServiceDef = {};
  for (const [key, def] of Object.entries(definition)) {
    const serialize = def.responseSerialize;
    out[key] = { ...def, responseSerialize: (v: unknown) => (v instanceof PreEncoded ? v.bytes : serialize(v)) };
  }
  return out;
}
