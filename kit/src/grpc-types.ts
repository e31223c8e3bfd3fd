import type { Metadata } from '@grpc/grpc-js';

/** One method of a ts-proto service definition (`ImagesService.pullImage`). */
export interface MethodDef {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (value: any) => Buffer;
  requestDeserialize: (value: Buffer) => any;
  responseSerialize: (value: any) => Buffer;
  responseDeserialize: (value: Buffer) => any;
}

export type ServiceDef = Record<string, MethodDef>;

type ReqOf<M> = M extends { requestDeserialize: (b: Buffer) => infer R } ? R : never;
type ResOf<M> = M extends { responseDeserialize: (b: Buffer) => infer R } ? R : never;

export interface CallContext {
  /** Aborted when the client cancels or goes away. */
  signal: AbortSignal;
  metadata: Metadata;
}

/** Server side: plain async functions; async generators for server streams. */
export type Handler<M> = M extends { requestStream: false; responseStream: false }
  ? (req: ReqOf<M>, ctx: CallContext) => Promise<ResOf<M>>
  : M extends { requestStream: false; responseStream: true }
    ? (req: ReqOf<M>, ctx: CallContext) => AsyncIterable<ResOf<M>>
    : M extends { requestStream: true; responseStream: false }
      ? (reqs: AsyncIterable<ReqOf<M>>, ctx: CallContext) => Promise<ResOf<M>>
      : (reqs: AsyncIterable<ReqOf<M>>, ctx: CallContext) => AsyncIterable<ResOf<M>>;

export type Handlers<S> = { [K in keyof S]: Handler<S[K]> };

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Client side: promises for unary calls, async iterables for streams. */
export type ClientMethod<M> = M extends { requestStream: false; responseStream: false }
  ? (req: ReqOf<M>, options?: CallOptions) => Promise<ResOf<M>>
  : M extends { requestStream: false; responseStream: true }
    ? (req: ReqOf<M>, options?: CallOptions) => AsyncIterable<ResOf<M>>
    : M extends { requestStream: true; responseStream: false }
      ? (reqs: AsyncIterable<ReqOf<M>>, options?: CallOptions) => Promise<ResOf<M>>
      : (reqs: AsyncIterable<ReqOf<M>>, options?: CallOptions) => AsyncIterable<ResOf<M>>;

export type Client<S> = { [K in keyof S]: ClientMethod<S[K]> } & { close(): void };

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}
