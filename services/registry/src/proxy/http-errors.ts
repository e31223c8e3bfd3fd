import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { errorKind, type Logger } from '@berth/kit';

/** What was asked for, so a not-found gets the code clients expect. */
export type Subject = 'manifest' | 'blob' | 'name' | 'digest';

interface DistributionError {
  status: number;
  code: string;
  message: string;
}

/** Upstream rate limits are passed on with a hint; the upstream's own value does not survive the client. */
export const RETRY_AFTER_SECONDS = 10;

/**
 * A BerthError as the distribution API's error body: `{"errors":[{"code","message","detail"}]}`
 * with the codes of the spec and of CNCF Distribution (UNAVAILABLE, TOOMANYREQUESTS).
 */
export function toDistributionError(err: unknown, subject: Subject, logger: Logger): DistributionError {
  const message = err instanceof Error ? err.message : String(err);
  switch (errorKind(err)) {
    case 'not_found':
      if (subject === 'manifest') return { status: 404, code: 'MANIFEST_UNKNOWN', message };
      if (subject === 'blob') return { status: 404, code: 'BLOB_UNKNOWN', message };
      return { status: 404, code: 'NAME_UNKNOWN', message };
    case 'invalid_argument':
      return { status: 400, code: subject === 'digest' || subject === 'blob' ? 'DIGEST_INVALID' : 'NAME_INVALID', message };
    case 'permission_denied':
      return { status: 403, code: 'DENIED', message };
    case 'unauthenticated':
      return { status: 401, code: 'UNAUTHORIZED', message };
    case 'resource_exhausted':
      return { status: 429, code: 'TOOMANYREQUESTS', message };
    case 'failed_precondition':
      return { status: 400, code: 'UNSUPPORTED', message };
    case 'unimplemented':
      return { status: 405, code: 'UNSUPPORTED', message };
    case 'data_loss':
      return { status: 502, code: 'UNKNOWN', message };
    case 'unavailable':
    case 'deadline_exceeded':
      return { status: 503, code: 'UNAVAILABLE', message };
    default: {
      const ref = randomBytes(6).toString('hex');
      logger.error({ err, ref }, 'internal error');
      return { status: 500, code: 'UNKNOWN', message: `internal error (reference ${ref})` };
    }
  }
}

export function sendError(res: ServerResponse, err: unknown, subject: Subject, logger: Logger, method = 'GET'): void {
  const e = toDistributionError(err, subject, logger);
  if (res.headersSent) {
    // Too late for a status: cutting the connection is the only way to tell the client.
    res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  const body = Buffer.from(JSON.stringify({ errors: [{ code: e.code, message: e.message, detail: null }] }));
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length };
  if (e.status === 429 || e.status === 503) headers['retry-after'] = RETRY_AFTER_SECONDS;
  if (e.status === 401) headers['www-authenticate'] = 'Basic realm="berth-proxy"';
  res.writeHead(e.status, headers);
  res.end(method === 'HEAD' ? undefined : body);
}
