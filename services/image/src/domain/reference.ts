import { invalidArgument } from '@berth/kit/errors';

/**
 * Docker's image reference rules (distribution/reference): `busybox` is
 * `docker.io/library/busybox`, a first component with a "." or ":" (or "localhost") is a registry
 * host kept as is, tags default to "latest" only where a caller asks for it.
 */
export interface Reference {
  /** Canonical repository: "docker.io/library/busybox", "127.0.0.1:5000/busybox". */
  repository: string;
  tag?: string;
  digest?: string;
}

const DEFAULT_DOMAIN = 'docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HEX64 = /^[a-f0-9]{64}$/;

/** Parses `name[:tag][@digest]`; throws invalid_argument with Docker's wording on bad input. */
export function parseReference(input: string): Reference {
  if (input === '') throw invalidArgument('invalid reference format: repository name must have at least one component');
  if (HEX64.test(input)) {
    throw invalidArgument(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalidArgument(`invalid reference format: bad digest in ${JSON.stringify(input)}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalidArgument(`invalid reference format: bad tag in ${JSON.stringify(input)}`);
  }
  const repository = normalizeName(rest, input);
  return { repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

function normalizeName(name: string, input: string): string {
  const slash = name.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let path = name;
  if (slash >= 0) {
    const first = name.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      path = name.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (!DOMAIN.test(domain)) throw invalidArgument(`invalid reference format: bad registry host in ${JSON.stringify(input)}`);
  if (path.toLowerCase() !== path) throw invalidArgument(`invalid reference format: repository name (${path}) must be lowercase`);
  if (!path.split('/').every((c) => PATH_COMPONENT.test(c))) {
    throw invalidArgument(`invalid reference format: ${JSON.stringify(input)}`);
  }
  const repository = `${domain}/${path}`;
  if (repository.length > 255) throw invalidArgument('invalid reference format: repository name must not be more than 255 characters');
  return repository;
}

/** The ref with the tag defaulted to "latest" when it has neither tag nor digest. */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
}

/** "docker.io/library/busybox" → "busybox", "docker.io/me/app" → "me/app", others unchanged. */
export function familiarRepository(repository: string): string {
  if (repository.startsWith(`${DEFAULT_DOMAIN}/library/`)) {
    const rest = repository.slice(`${DEFAULT_DOMAIN}/library/`.length);
    if (!rest.includes('/')) return rest;
  }
  if (repository.startsWith(`${DEFAULT_DOMAIN}/`)) return repository.slice(DEFAULT_DOMAIN.length + 1);
  return repository;
}

/** The path part of the repository, as Docker prints in "Pulling from library/busybox". */
export function remoteName(repository: string): string {
  return repository.slice(repository.indexOf('/') + 1);
}

/** Canonical string: "docker.io/library/busybox:latest" or "…@sha256:…" (the key of a ref). */
export function canonicalString(ref: Reference): string {
  return ref.repository + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** Familiar string: "busybox:latest", "127.0.0.1:5000/app@sha256:…". */
export function familiarString(ref: Reference): string {
  return familiarRepository(ref.repository) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}
