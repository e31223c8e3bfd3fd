/**
 * Error kinds shared by every berth service. Domain code throws BerthError with a kind; kit maps the
 * kind to the gRPC status of the same name and back, so callers test kinds, never message text.
 */
export const ErrorKind = {
  NotFound: 'not_found',
  AlreadyExists: 'already_exists',
  InvalidArgument: 'invalid_argument',
  FailedPrecondition: 'failed_precondition',
  Unavailable: 'unavailable',
  PermissionDenied: 'permission_denied',
  Unauthenticated: 'unauthenticated',
  DataLoss: 'data_loss',
  Cancelled: 'cancelled',
  DeadlineExceeded: 'deadline_exceeded',
  ResourceExhausted: 'resource_exhausted',
  Unimplemented: 'unimplemented',
  Internal: 'internal',
} as const;

export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

export class BerthError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BerthError';
    this.kind = kind;
  }
}

/** The kind of any thrown value: BerthError's own, `cancelled` for aborts, otherwise `internal`. */
export function errorKind(err: unknown): ErrorKind {
  if (err instanceof BerthError) return err.kind;
  if (err instanceof Error && err.name === 'AbortError') return ErrorKind.Cancelled;
  return ErrorKind.Internal;
}

const is = (kind: ErrorKind) => (err: unknown): boolean => errorKind(err) === kind;

export const isNotFound = is(ErrorKind.NotFound);
export const isAlreadyExists = is(ErrorKind.AlreadyExists);
export const isInvalidArgument = is(ErrorKind.InvalidArgument);
export const isFailedPrecondition = is(ErrorKind.FailedPrecondition);
export const isUnavailable = is(ErrorKind.Unavailable);
export const isPermissionDenied = is(ErrorKind.PermissionDenied);
export const isDataLoss = is(ErrorKind.DataLoss);
export const isCancelled = is(ErrorKind.Cancelled);

/** Shorthands for the kinds domain code throws most. */
export const notFound = (message: string, cause?: unknown) => new BerthError(ErrorKind.NotFound, message, { cause });
export const invalidArgument = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.InvalidArgument, message, { cause });
export const alreadyExists = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.AlreadyExists, message, { cause });
export const failedPrecondition = (message: string, cause?: unknown) =>
  new BerthError(ErrorKind.FailedPrecondition, message, { cause });
