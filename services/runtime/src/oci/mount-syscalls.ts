import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BerthError, DEFAULT_PATH } from '@berth/kit';

/**
 * mount(2) and umount2(2) without a process per call. Node has no binding for them, and
 * mount(8)/umount(8) cost a fork+exec and libmount's start-up (~6 ms each, twice per `docker run`:
 * the rootfs mount at start, its unmount at exit). So one long-lived Perl process (perl-base is
 * Essential on Debian, and the attach relay already needs it) makes the two system calls with
 * Perl's `syscall` on request. Only what maps one-to-one onto a single system call goes through
 * it (see `overlayData`); anything else, an architecture whose numbers are not known here, or a
 * helper that is gone, is the caller's to do with mount(8).
 *
 * Protocol: each request is one line of space-separated hex fields (op, then its arguments), each
 * reply one line, "0" or "<errno> <message>", in order.
 */
const HELPER = String.raw`
use strict; use warnings;
my ($SYS_MOUNT, $SYS_UMOUNT2) = @ARGV;
$| = 1;
while (my $line = <STDIN>) {
  chomp $line;
  my ($op, @a) = map { pack('H*', $_) } split / /, $line, -1;
  my $r;
  if ($op eq 'mount') { $r = syscall($SYS_MOUNT + 0, $a[0], $a[1], $a[2], $a[3] + 0, $a[4]) }
  elsif ($op eq 'umount') { $r = syscall($SYS_UMOUNT2 + 0, $a[0], $a[1] + 0) }
  else { print "22 unknown request\n"; next }
  if ($r == 0) { print "0\n" } else { my $e = $! + 0; print "$e $!\n" }
}
`;

/** mount(2) / umount2(2) numbers by Node's process.arch. */
const SYSCALLS: Record<string, [mount: number, umount2: number]> = { x64: [165, 166], arm64: [40, 39], riscv64: [40, 39] };

export const MNT_DETACH = 2;

/** The kernel takes at most a page of mount data; longer (many layers) goes through mount(8). */
const MAX_DATA = 4000;
const OVERLAY_OPTION = /^(lowerdir|upperdir|workdir)=[^,]+$/;
/** Strings Perl's `syscall` would pass as numbers instead of pointers. */
const NUMERIC = /^\s*[-+]?(\d|\.\d)/;

/**
 * The data string of an overlay mount whose options are all plain overlay data (no mount flags
 * like ro or nosuid, which mount(8) turns into flag bits): undefined when it is anything else.
 */
export function overlayData(type: string, options: readonly string[]): string | undefined {
  if (type !== 'overlay' || options.length === 0 || !options.every((o) => OVERLAY_OPTION.test(o))) return undefined;
  const data = options.join(',');
  return data.length <= MAX_DATA ? data : undefined;
}

/** Whether the helper keeps Node's event loop alive: only while a call is in flight. */
function holdLoop(child: ChildProcessWithoutNullStreams, hold: boolean): void {
  for (const h of [child, child.stdin, child.stdout, child.stderr] as unknown as Array<{ ref?: () => void; unref?: () => void }>) {
    if (hold) h.ref?.();
    else h.unref?.();
  }
}

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The helper process, started on first use and again after it died; close() ends it. */
export class MountSyscalls {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending: Pending[] = [];
  private buffered = '';
  private closed = false;

  constructor(
    private readonly perl = 'perl',
    private readonly numbers = SYSCALLS[process.arch],
  ) {}

  /** Whether calls can go through the helper on this machine. */
  get available(): boolean {
    return this.numbers !== undefined && !this.closed;
  }

  async mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<void> {
    for (const s of [source, target, fstype, data]) {
      if (s === '' || NUMERIC.test(s)) throw new BerthError('invalid_argument', `mount argument ${JSON.stringify(s)} cannot go through the helper`);
    }
    return this.call(['mount', source, target, fstype, String(flags), data]);
  }

  async umount(target: string, flags = 0): Promise<void> {
    if (target === '' || NUMERIC.test(target)) throw new BerthError('invalid_argument', `umount target ${JSON.stringify(target)} cannot go through the helper`);
    return this.call(['umount', target, String(flags)]);
  }

  close(): void {
    this.closed = true;
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  private call(fields: string[]): Promise<void> {
    if (!this.available) return Promise.reject(new BerthError('unavailable', 'mount helper unavailable'));
    const child = this.child ?? this.start();
    if (this.pending.length === 0) holdLoop(child, true);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      child.stdin.write(`${fields.map((f) => Buffer.from(f, 'utf8').toString('hex')).join(' ')}\n`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    const [mount, umount2] = this.numbers!;
    const child = spawn(this.perl, ['-e', HELPER, String(mount), String(umount2)], { env: { PATH: DEFAULT_PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => this.onData(text));
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-2000)));
    child.stdin.on('error', () => undefined); // its exit tells
    const gone = (why: string) => {
      if (this.child === child) this.child = undefined;
      this.buffered = '';
      for (const p of this.pending.splice(0)) p.reject(new BerthError('unavailable', `mount helper ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    };
    child.on('error', (e) => gone(`failed: ${e.message}`));
    child.on('close', () => gone('exited'));
    holdLoop(child, false); // idle, it must not keep the service (or a test) alive
    return child;
  }

  private onData(text: string): void {
    this.buffered += text;
    for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const p = this.pending.shift();
      if (!p) continue;
      if (this.pending.length === 0 && this.child) holdLoop(this.child, false);
      if (line === '0') {
        p.resolve();
        continue;
      }
      const space = line.indexOf(' ');
      const errno = Number(line.slice(0, space));
      const err = new BerthError(errno === 16 ? 'failed_precondition' : 'internal', line.slice(space + 1)) as BerthError & { errno?: number };
      err.errno = errno;
      p.reject(err);
    }
  }
}
