import { createHash, timingSafeEqual } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { BerthError, runCommand, type Logger } from '@berth/kit';
import { SingleFlight } from './single-flight.js';

const HTPASSWD = '/usr/bin/htpasswd';
/** A verified password is trusted this long; a refused one is refused without asking again this long. */
const GOOD_FOR_MS = 5 * 60_000;
const BAD_FOR_MS = 10_000;
const MAX_REMEMBERED = 10_000;
/** htpasswd -v exit codes: 0 verified, 3 wrong password, 6 no such user. */
const HTPASSWD_OK_CODES = [0, 3, 6];

export interface ClientAuthOptions {
  /** htpasswd file (bcrypt or any scheme `htpasswd -v` knows); "" for none. */
  htpasswd: string;
  /** user → `sha256:<hex of the password>`. */
  users: Readonly<Record<string, string>>;
  logger: Logger;
}

/**
 * Basic auth for the proxy's own clients. Node has no bcrypt, so htpasswd entries are checked by
 * Apache's `htpasswd -v` (password on stdin, never in argv), and the verdict is remembered per
 * user and password hash (a bcrypt check costs milliseconds to seconds by design). Changing the
 * file forgets all verdicts.
 */
export class ClientAuth {
  private readonly verdicts = new Map<string, { ok: boolean; until: number }>();
  private readonly flights = new SingleFlight<boolean>();
  private fileStamp = '';

  constructor(private readonly o: ClientAuthOptions) {}

  get enabled(): boolean {
    return this.o.htpasswd !== '' || Object.keys(this.o.users).length > 0;
  }

  /** Throws `unauthenticated` unless the request carries valid credentials (or auth is off). */
  async check(req: IncomingMessage): Promise<void> {
    if (!this.enabled) return;
    const creds = parseBasic(req.headers.authorization);
    if (!creds) throw new BerthError('unauthenticated', 'authentication required');
    if (!(await this.verify(creds.user, creds.password))) throw new BerthError('unauthenticated', 'incorrect username or password');
  }

  private async verify(user: string, password: string): Promise<boolean> {
    const expected = Object.hasOwn(this.o.users, user) ? this.o.users[user] : undefined;
    if (expected !== undefined) {
      const given = Buffer.from(`sha256:${createHash('sha256').update(password).digest('hex')}`);
      return given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
    }
    // Never hand htpasswd an argument that could read as an option, or a control character.
    if (!this.o.htpasswd || user.startsWith('-') || /[\x00-\x1f:]/.test(user)) return false;
    await this.noticeFileChange();
    const key = createHash('sha256').update(`${user}\0${password}`).digest('hex');
    const known = this.verdicts.get(key);
    if (known && known.until > Date.now()) return known.ok;
    return this.flights.run(key, async () => {
      const { code } = await runCommand(HTPASSWD, ['-v', '-i', this.o.htpasswd, user], {
        input: `${password}\n`,
        okCodes: HTPASSWD_OK_CODES,
        timeoutMs: 30_000,
      });
      const ok = code === 0;
      if (this.verdicts.size >= MAX_REMEMBERED) this.verdicts.clear();
      this.verdicts.set(key, { ok, until: Date.now() + (ok ? GOOD_FOR_MS : BAD_FOR_MS) });
      if (!ok) this.o.logger.info({ user }, 'proxy client refused: wrong credentials');
      return ok;
    });
  }

  private async noticeFileChange(): Promise<void> {
    const st = await stat(this.o.htpasswd);
    const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (stamp !== this.fileStamp) {
      this.fileStamp = stamp;
      this.verdicts.clear();
    }
  }
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
