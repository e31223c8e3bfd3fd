import { BerthError } from '@berth/kit/errors';

/**
 * Image references as Docker parses them (github.com/distribution/reference): the grammar,
 * the normalisation of familiar names (`busybox` → `docker.io/library/busybox`) and the
 * formatting back. The image service and the gateway reuse this module through the package index.
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component [ "/" path-component ]*
 *   domain    := host [ ":" port ]         host: dns name, IPv4, or "[" IPv6 "]"
 */

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const domainRe = new RegExp(`^${DOMAIN}$`);
const pathRe = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const tagRe = new RegExp(`^${TAG}$`);
const digestRe = new RegExp(`^${DIGEST}$`);
const anchoredIdentifierRe = /^[a-f0-9]{64}$/;

/** A parsed, normalised reference. `domain` and `path` are always set. */
export interface Reference {
  /** Registry host[:port], e.g. "docker.io", "127.0.0.1:5000". */
  readonly domain: string;
  /** Repository path inside the registry, e.g. "library/busybox". */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

function invalid(detail?: string): BerthError {
  return new BerthError('invalid_argument', detail ? `invalid reference format: ${detail}` : 'invalid reference format');
}

/** Splits "name" into domain and path as Docker does (splitDockerDomain). */
function splitDomain(name: string): { domain: string; path: string } {
  const i = name.indexOf('/');
  const first = i < 0 ? '' : name.slice(0, i);
  let domain: string;
  let path: string;
  if (i < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = name;
  } else {
    domain = first;
    path = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  return { domain, path };
}

/**
 * Parses a reference the way `docker pull` does (ParseNormalizedNamed): familiar names are
 * normalised, no default tag is added (see `withDefaultTag`). Throws `invalid_argument`.
 */
export function parseReference(input: string): Reference {
  if (input.length === 0) throw invalid('repository name must have at least one component');
  if (anchoredIdentifierRe.test(input)) {
    throw new BerthError('invalid_argument', `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) throw invalid();
    validateDigest(digest);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) throw invalid();
  }
  if (rest.length === 0) throw invalid('repository name must have at least one component');
  const { domain, path } = splitDomain(rest);
  if (!domainRe.test(domain)) throw invalid();
  if (path.toLowerCase() !== path) throw invalid(`repository name (${path}) must be lowercase`);
  if (!pathRe.test(path)) throw invalid();
  if (rest.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  return { domain, path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** Parses a repository name only ("busybox", "127.0.0.1:5000/a/b"): no tag, no digest. */
export function parseRepository(input: string): Reference {
  const ref = parseReference(input);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new BerthError('invalid_argument', `invalid repository name (${input}): must not have a tag or digest`);
  }
  return { domain: ref.domain, path: ref.path };
}

/** Docker's TagNameOnly: adds ":latest" when the reference has neither tag nor digest. */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** Docker's ParseDockerRef: normalised, ":latest" by default, and a digest wins over a tag. */
export function parseDockerRef(input: string): Reference {
  const ref = withDefaultTag(parseReference(input));
  return ref.digest !== undefined ? { domain: ref.domain, path: ref.path, digest: ref.digest } : ref;
}

/** "docker.io/library/busybox" */
export function repositoryName(ref: Pick<Reference, 'domain' | 'path'>): string {
  return `${ref.domain}/${ref.path}`;
}

/** "docker.io/library/busybox:latest@sha256:…" */
export function referenceString(ref: Reference): string {
  return repositoryName(ref) + suffix(ref);
}

/** The short name users type: "busybox", "user/app", "127.0.0.1:5000/busybox". */
export function familiarName(ref: Pick<Reference, 'domain' | 'path'>): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  const path = ref.path;
  if (path.startsWith(OFFICIAL_REPO_PREFIX) && !path.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    return path.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return path;
}

/** "busybox:latest", "127.0.0.1:5000/busybox@sha256:…" */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + suffix(ref);
}

function suffix(ref: Reference): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** Supported digest algorithms and the length of their hex part. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** Validates "algorithm:hex" for an algorithm berth can verify; throws `invalid_argument`. */
export function validateDigest(digest: string): { algorithm: string; hex: string } {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (colon < 0 || !digestRe.test(digest)) throw new BerthError('invalid_argument', `invalid digest format: ${digest}`);
  if (length === undefined) throw new BerthError('invalid_argument', `unsupported digest algorithm: ${digest}`);
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) {
    throw new BerthError('invalid_argument', `invalid checksum digest format: ${digest}`);
  }
  return { algorithm, hex };
}

/**
 * The registry a login or credential applies to, from an Engine API `serveraddress`
 * ("https://index.docker.io/v1/", "localhost:5000", "") → "docker.io", "localhost:5000".
 */
export function registryHostOf(serverAddress: string): string {
  let host = serverAddress.trim().replace(/^[a-z]+:\/\//i, '');
  host = host.split('/')[0] ?? '';
  if (host === '' || host === LEGACY_DEFAULT_DOMAIN || host === DEFAULT_DOMAIN || host === 'registry-1.docker.io') {
    return DEFAULT_DOMAIN;
  }
  return host.toLowerCase();
}
