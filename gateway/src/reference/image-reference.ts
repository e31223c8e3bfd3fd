import {
  familiarString,
  parseReference,
  referenceString,
  withDefaultTag as tagged,
  type Reference,
} from '@berth/registry/reference';

/**
 * Image references as the gateway and the CLI need them. The grammar and normalisation are the
 * registry package's (Docker's distribution/reference rules, with Docker's error messages); this
 * module adds the Engine API's ways of naming images: `fromImage` + `tag` for a pull, image IDs.
 */
export type { Reference } from '@berth/registry/reference';

/** Parses and normalises; `invalid_argument` ("invalid reference format…") when it is not a reference. */
export function parseImageRef(input: string): Reference {
  return parseReference(input);
}

/** "busybox" → "busybox:latest", "docker.io/library/busybox" → "busybox:latest": how Docker names an image in messages. */
export function familiarTagged(input: string): string {
  return familiarString(tagged(parseReference(input)));
}

/** Whether a string is an image ID (full or short hex, with or without "sha256:") rather than a name. */
export function looksLikeImageId(ref: string): boolean {
  return /^(sha256:)?[0-9a-f]{12,64}$/.test(ref);
}

/**
 * The reference `POST /images/create?fromImage=&tag=` asks for, normalised: `tag` may be a tag or
 * a digest; when both it and a tag in fromImage are absent Docker pulls "latest".
 */
export function pullReference(fromImage: string, tag: string): Reference {
  const base = parseReference(fromImage);
  if (tag === '') return tagged(base);
  const name = `${base.domain}/${base.path}`;
  return parseReference(tag.includes(':') ? `${name}@${tag}` : `${name}:${tag}`);
}

export { familiarString, referenceString };
