import { randomBytes } from 'node:crypto';
import { BerthError, errorKind, type ErrorKind } from '@berth/kit';

/**
 * The HTTP status for an error, chosen from its kind alone (never from its message). Kinds that
 * say nothing a client can act on are 500s whose message is replaced by a reference id.
 */
const STATUS_BY_KIND: Partial<Record<ErrorKind, number>> = {
  not_found: 404,
  already_exists: 409,
  failed_precondition: 409,
  invalid_argument: 400,
  permission_denied: 403,
  unauthenticated: 401,
  unavailable: 503,
  resource_exhausted: 503,
  deadline_exceeded: 504,
  unimplemented: 501,
};

export interface ErrorReply {
  status: number;
  message: string;
  /** Set for errors whose detail was withheld; logged with the error, shown to the client. */
  reference?: string;
}

/**
 * Kinds answered 500 whose message is still the client's to read: content that failed
 * verification (a registry sent bytes that do not match their digest) says what is wrong and where.
 */
const SHOWN_500_KINDS = new Set<ErrorKind>(['data_loss']);

export function errorReply(err: unknown): ErrorReply {
  const kind = errorKind(err);
  const status = STATUS_BY_KIND[kind];
  if (status !== undefined) return { status, message: (err as Error).message };
  if (SHOWN_500_KINDS.has(kind) || isRemoteInternal(err)) return { status: 500, message: (err as Error).message };
  const reference = randomBytes(6).toString('hex');
  return { status: 500, message: `internal error (reference ${reference})`, reference };
}

/**
 * An internal error a service answered with over gRPC: kit's server already replaced its message
 * with the service's own reference id (logged there with the stack), so it is passed on as is
 * rather than hidden behind a second reference that leads nowhere.
 */
function isRemoteInternal(err: unknown): boolean {
  if (!(err instanceof BerthError) || err.kind !== 'internal') return false;
  const cause = err.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'number';
}
