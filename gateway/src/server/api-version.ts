import { BerthError } from '@berth/kit';

/** The Engine API version berth implements, and the oldest one it still answers. */
export const API_VERSION = '1.45';
export const MIN_API_VERSION = '1.24';

export function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor !== bMajor ? aMajor - bMajor : aMinor - bMinor;
}

/**
 * Splits `/v1.45/containers/json` into the version and the route path. Unprefixed paths get the
 * server's version. Versions older than the minimum are refused as Docker refuses them; newer ones
 * are answered (clients negotiate down from /_ping's Api-Version anyway).
 */
export function splitVersion(pathname: string): { version: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
  if (!m) return { version: API_VERSION, path: pathname };
  const version = m[1]!;
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new BerthError(
      'invalid_argument',
      `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  }
  return { version, path: m[2]! };
}
