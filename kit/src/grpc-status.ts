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

/** Trailer a berth server sets on every error status it sends. */
export const BERTH_KIND_HEADER = 'berth-error-kind';

/** "/berth.runtime.v1.Containers/ListContainers" → "the runtime service". */
function serviceOf(method: string): string {
  const pkg = method.split('/')[1] ?? '';
  const name = pkg.split('.')[1];
  return name ? `the ${name} service` : 'a berth service';
}

/**
 * A gRPC error from a remote call, as the BerthError the remote side threw. Failures of the
 * transport itself (no server, connection reset) carry no berth trailer: they become
 * `unavailable` with a message that names the service, not a socket path.
 */
export function fromServiceError(err: ServiceError | Error, method = ''): BerthError {
  const code = (err as ServiceError).code;
  if (typeof code !== 'number') return new BerthError(ErrorKind.Internal, err.message, { cause: err });
  const sentByBerth = ((err as ServiceError).metadata?.get(BERTH_KIND_HEADER) ?? []).length > 0;
  if (!sentByBerth && code !== status.CANCELLED && code !== status.DEADLINE_EXCEEDED) {
    return new BerthError(ErrorKind.Unavailable, `${serviceOf(method)} is unavailable`, { cause: err });
  }
  const kind = fromStatus.get(code) ?? ErrorKind.Internal;
  const details = (err as ServiceError).details || err.message;
  return new BerthError(code === status.UNKNOWN ? ErrorKind.Internal : kind, details, { cause: err });
}
