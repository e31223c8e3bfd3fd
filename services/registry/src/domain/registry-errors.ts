import { STATUS_CODES } from 'node:http';
import { BerthError, type ErrorKind } from '@berth/kit';

/** The error body of the distribution API: `{"errors":[{"code","message","detail"}]}`. */
interface ErrorBody {
  errors?: Array<{ code?: string; message?: string }>;
  details?: string;
  message?: string;
}

/** The `code`s of a distribution error body ("MANIFEST_UNKNOWN", "NAME_UNKNOWN", ...). */
export function registryErrorCodes(body: Buffer): string[] {
  try {
    const json = JSON.parse(body.toString('utf8')) as ErrorBody;
    return (json.errors ?? []).map((e) => e.code ?? '').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * A registry's error as Docker prints it: the messages of the `errors` list ("manifest unknown"),
 * or the status line when the body says nothing usable.
 */
export function registryErrorMessage(status: number, body: Buffer): string {
  try {
    const json = JSON.parse(body.toString('utf8')) as ErrorBody;
    const messages = (json.errors ?? [])
      .map((e) => e.message || (e.code ?? '').toLowerCase().replace(/_/g, ' '))
      .filter(Boolean);
    if (messages.length > 0) return [...new Set(messages)].join(', ');
    if (json.details || json.message) return String(json.details || json.message);
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): fall back to the status line.
  }
  return `${status} ${STATUS_CODES[status] ?? 'unexpected status'}`.toLowerCase();
}

/** The error kind of an HTTP status from a registry. */
export function kindOfStatus(status: number): ErrorKind {
  if (status === 404) return 'not_found';
  if (status === 401 || status === 403) return 'permission_denied';
  if (status === 429) return 'resource_exhausted';
  if (status === 400 || status === 405 || status === 416) return 'invalid_argument';
  if (status >= 500) return 'unavailable';
  return 'failed_precondition';
}

/** A BerthError for a non-success registry response, `what` naming what was asked for. */
export function registryError(status: number, body: Buffer, what: string): BerthError {
  return new BerthError(kindOfStatus(status), `${what}: ${registryErrorMessage(status, body)}`);
}
