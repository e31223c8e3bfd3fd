import { createHash, type Hash } from 'node:crypto';
import { BerthError } from '@berth/kit';
import { validateDigest } from './reference.js';

/** Hashes bytes as they pass and compares with the expected digest at the end. */
export class DigestVerifier {
  private readonly hash: Hash;
  private readonly algorithm: string;

  constructor(private readonly expected: string) {
    this.algorithm = validateDigest(expected).algorithm;
    this.hash = createHash(this.algorithm);
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  /** The digest of everything seen; throws `data_loss` when it is not the expected one. */
  verify(): string {
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expected) {
      throw new BerthError('data_loss', `digest mismatch for ${this.expected}: got ${actual}`);
    }
    return actual;
  }
}

/** "sha256:<hex>" of bytes. */
export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Checks bytes against a digest of any supported algorithm; throws `data_loss`. */
export function verifyBytes(bytes: Uint8Array, expected: string): void {
  const v = new DigestVerifier(expected);
  v.update(bytes);
  v.verify();
}
