import { status, type ServiceError } from '@grpc/grpc-js';
import { BerthError, ErrorKind } from './errors.js';

const toStatus: Record<ErrorKind, status> = {
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  invalid_argument: status.INVALID_ARGUMENT,
  failed_precondition: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  permission_denied: status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
  data_loss: status.DATA_LOSS,
  cancelled: status.CANCELLED,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  unimplemented: status.UNIMPLEMENTED,
  internal: status.INTERNAL,
};

const fromStatus = new Map<number, ErrorKind>(Object.entries(toStatus).map(([k, v]) => [v, k as ErrorKind]));

export function kindToStatus(kind: ErrorKind): status {
  return toStatus[kind];
}

/** A gRPC error from a remote call, as the BerthError the remote side threw. */
export function fromServiceError(err: ServiceError | Error): BerthError {
  const code = (err as ServiceError).code;
  if (typeof code !== 'number') return new BerthError(ErrorKind.Internal, err.message, { cause: err });
  const kind = fromStatus.get(code) ?? ErrorKind.Internal;
  const details = (err as ServiceError).details || err.message;
  return new BerthError(code === status.UNKNOWN ? ErrorKind.Internal : kind, details, { cause: err });
}
