import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BerthError, DEFAULT_PATH } from '@berth/kit';

/**
 * One long-lived Perl process (perl-base is Essential on Debian) that does, on request, what Node
 * cannot do or does slowly, so that a `docker run` starts no helper process of its own:
 *
 * - mount(2) and umount2(2). Node has no binding for them, and mount(8)/umount(8) cost a
 *   fork+exec and libmount's start-up (~6 ms each, twice per `docker run`). Only what maps
 *   one-to-one onto a single system call goes through it (see `overlayData`); anything else, an
 *   architecture whose numbers are not known here, or a helper that is gone, is the caller's to do
 *   with mount(8).
 * - starting a detached process (conmon): fork, setsid, chdir, stdio on /dev/null, exec. Node's
 *   spawn forks the whole service (~4.5 ms of its main thread, then copy-on-write faults); this
 *   process is a few MB. An exec failure comes back through a close-on-exec pipe, so a missing
 *   binary is an error as with spawn. The helper reaps its children (SIGCHLD), as Node did.
 * - starting an attach relay (see attach-relay.ts): it connects to the caller's hub socket, sends
 *   the session's token, then forks a child that runs the relay loop already compiled here — no
 *   exec, no Perl start-up per attach.
 *
 * It loads no module (`use warnings`, Socket, Errno, POSIX each cost milliseconds at every start
 * and the relay's children inherit nothing they need from them); the constants are Linux's, the
 * same on x86-64, arm64 and riscv64: PF_UNIX 1, SOCK_STREAM 1, SOCK_SEQPACKET 5, WNOHANG 1,
 * sockaddr_un = u16 family + 108-byte path; errno EINTR 4, EAGAIN 11, ENOENT 2, ECONNREFUSED 111,
 * ENAMETOOLONG 36.
 *
 * Protocol: each request is one line of space-separated hex fields (op, then its arguments), each
 * reply one line, "0", "0 <pid>" or "<errno> <message>", in order.
 */
const HELPER = String.raw`
my ($SYS_MOUNT, $SYS_UMOUNT2, $SYS_SETSID) = @ARGV;
my $what = ''; # the step that failed, when there is more than one
$SIG{CHLD} = sub { local ($!, $?); 1 while waitpid(-1, 1) > 0 };
sub put { my ($fh, $d) = @_; while (length $d) { my $n = syswrite($fh, $d); if (!defined $n) { next if $! == 4; CORE::exit(0) } substr($d, 0, $n, '') } }
sub addr { my $p = shift; if (length($p) > 107) { $! = 36; return } pack('S a108', 1, $p) }
sub null_stdio { open(STDIN, '<', '/dev/null') && open(STDOUT, '>', '/dev/null') && open(STDERR, '>', '/dev/null') }

sub spawn {
  my ($cwd, $nenv, @argv) = @_;
  my @env = splice(@argv, 0, $nenv);
  pipe(my $rd, my $wr) or return -1;
  my $pid = fork();
  if (!defined $pid) { my $e = $! + 0; close $rd; close $wr; $! = $e; return -1 }
  if ($pid == 0) {
    $SIG{CHLD} = 'DEFAULT';
    close $rd;
    my $step = 'setsid';
    if (syscall($SYS_SETSID + 0) >= 0 && ($step = "chdir $cwd") && chdir($cwd) && ($step = 'stdio') && null_stdio()) {
      %ENV = map { split /=/, $_, 2 } @env;
      $step = '';
      exec { $argv[0] } @argv;
    }
    syswrite($wr, pack('N', $! + 0) . $step);
    CORE::exit(127);
  }
  close $wr;
  my ($got, $n) = ('');
  1 while !defined($n = sysread($rd, $got, 4096)) && $! == 4;
  close $rd;
  return (0, $pid) if length($got) < 4;
  waitpid($pid, 0);
  ($!, $what) = unpack('N a*', $got);
  return -1;
}

sub relay {
  my ($path, $hub, $token, $wait) = @_;
  my ($to, $home) = (addr($path), addr($hub));
  return -1 unless defined $to && defined $home;
  socket(my $h, 1, 1, 0) or return -1;
  connect($h, $home) or return -1;
  put($h, $token);
  my $pid = fork();
  return -1 unless defined $pid;
  if ($pid == 0) {
    $SIG{CHLD} = 'DEFAULT';
    null_stdio();
    relay_loop($h, $path, $to, $wait);
    CORE::exit(0);
  }
  close $h;
  return (0, $pid);
}

sub relay_loop {
  my ($h, $path, $to, $wait) = @_;
  $SIG{PIPE} = 'DEFAULT';
  $SIG{USR1} = sub {};
  my $fail = sub { my $m = shift; put($h, pack('N', 1 + length $m) . 'E' . $m); CORE::exit(0) };
  my ($s, $said);
  for (;;) {
    socket($s, 1, 5, 0) or $fail->("socket: $!");
    last if connect($s, $to);
    $fail->("connect $path: $!") unless $wait && ($! == 2 || $! == 111);
    close $s;
    put($h, pack('N', 1) . 'W') unless $said++; # its USR1 handler is set: kick() may signal it now
    select(undef, undef, undef, 0.25); # until the socket exists; SIGUSR1 cuts the wait short
  }
  put($h, pack('N', 0));
  my ($fs, $fh, $in) = (fileno($s), fileno($h), 1);
  for (;;) {
    my $r = ''; vec($r, $fs, 1) = 1; vec($r, $fh, 1) = 1 if $in;
    if (select($r, undef, undef, undef) < 0) { next if $! == 4; return }
    if (vec($r, $fs, 1)) {
      my $n = sysread($s, my $buf, 65536);
      if (!defined $n) { next if $! == 4 || $! == 11; return }
      return if $n == 0;
      put($h, pack('N', $n) . $buf);
    }
    if ($in && vec($r, $fh, 1)) {
      my $n = sysread($h, my $buf, 16384);
      if (!defined $n) { next if $! == 4; $n = 0 }
      if ($n == 0) { shutdown($s, 1); $in = 0; next }
      defined(send($s, $buf, 0)) or return;
    }
  }
}

my $buf = '';
for (;;) {
  my $nl = index($buf, "
");
  if ($nl < 0) {
    my $n = sysread(STDIN, $buf, 65536, length $buf);
    if (!defined $n) { next if $! == 4; CORE::exit(0) }
    CORE::exit(0) if $n == 0;
    next;
  }
  my $line = substr($buf, 0, $nl + 1, '');
  chop $line;
  my ($op, @a) = map { pack('H*', $_) } split / /, $line, -1;
  my ($r, $pid);
  $what = '';
  if ($op eq 'mount') { $r = syscall($SYS_MOUNT + 0, $a[0], $a[1], $a[2], $a[3] + 0, $a[4]) }
  elsif ($op eq 'umount') { $r = syscall($SYS_UMOUNT2 + 0, $a[0], $a[1] + 0) }
  elsif ($op eq 'spawn') { ($r, $pid) = spawn(@a) }
  elsif ($op eq 'relay') { ($r, $pid) = relay(@a) }
  else { put(\*STDOUT, "22 unknown request\n"); next }
  if ($r == 0) { put(\*STDOUT, defined $pid ? "0 $pid\n" : "0\n") } else { my $e = $! + 0; put(\*STDOUT, $what ? "$e $what: $!\n" : "$e $!\n") }
}
`;

/** mount(2), umount2(2), setsid(2) numbers by Node's process.arch. */
const SYSCALLS: Record<string, [mount: number, umount2: number, setsid: number]> = { x64: [165, 166, 112], arm64: [40, 39, 157], riscv64: [40, 39, 157] };

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
  resolve: (pid: number | undefined) => void;
  reject: (err: Error) => void;
}

/** Options of a detached process: its working directory and whole environment. */
export interface DetachedSpawn {
  cwd?: string;
  env?: Record<string, string>;
}

/** The helper process, started on first use and again after it died; close() ends it. */
export class PerlHelper {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending: Pending[] = [];
  private buffered = '';
  private closed = false;

  constructor(
    private readonly perl = 'perl',
    private readonly numbers = SYSCALLS[process.arch],
  ) {}

  /** Whether the system calls (mount, umount, spawn) can go through the helper on this machine. */
  get available(): boolean {
    return this.numbers !== undefined && !this.closed;
  }

  async mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<void> {
    for (const s of [source, target, fstype, data]) {
      if (s === '' || NUMERIC.test(s)) throw new BerthError('invalid_argument', `mount argument ${JSON.stringify(s)} cannot go through the helper`);
    }
    await this.call(['mount', source, target, fstype, String(flags), data]);
  }

  async umount(target: string, flags = 0): Promise<void> {
    if (target === '' || NUMERIC.test(target)) throw new BerthError('invalid_argument', `umount target ${JSON.stringify(target)} cannot go through the helper`);
    await this.call(['umount', target, String(flags)]);
  }

  /**
   * Starts `binary` in a session of its own, stdio on /dev/null, as a child of the helper: its
   * pid. A binary that cannot be run is an error ('unavailable' when it does not exist).
   */
  async spawnDetached(binary: string, args: readonly string[], o: DetachedSpawn = {}): Promise<number> {
    const env = Object.entries(o.env ?? { PATH: DEFAULT_PATH }).map(([k, v]) => `${k}=${v}`);
    try {
      return (await this.call(['spawn', o.cwd ?? '/', String(env.length), ...env, binary, ...args]))!;
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      if (errno === undefined) throw err;
      // A step before the exec names itself in the message ("chdir …: …"); only a binary that is not there is 'unavailable'.
      const missing = errno === 2 && !/^(setsid|chdir|stdio)\b/.test((err as Error).message);
      throw new BerthError(missing ? 'unavailable' : 'internal', `${binary}: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Starts an attach relay to conmon's SEQPACKET socket `socketPath` (see attach-relay.ts): the
   * helper connects to `hubPath`, sends `token`, and forks the relay on that connection. Its pid.
   */
  async relay(socketPath: string, hubPath: string, token: string, wait: boolean): Promise<number> {
    return (await this.call(['relay', socketPath, hubPath, token, wait ? '1' : '']))!;
  }

  close(): void {
    this.closed = true;
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  private call(fields: string[]): Promise<number | undefined> {
    if (this.closed) return Promise.reject(new BerthError('unavailable', 'perl helper closed'));
    if (!this.numbers && fields[0] !== 'relay') return Promise.reject(new BerthError('unavailable', `no system call numbers for ${process.arch}`));
    const child = this.child ?? this.start();
    if (this.pending.length === 0) holdLoop(child, true);
    return new Promise<number | undefined>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      child.stdin.write(`${fields.map((f) => Buffer.from(f, 'utf8').toString('hex')).join(' ')}\n`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    const numbers = (this.numbers ?? [-1, -1, -1]).map(String);
    const child = spawn(this.perl, ['-e', HELPER, ...numbers], { env: { PATH: DEFAULT_PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => this.onData(text));
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-2000)));
    child.stdin.on('error', () => undefined); // its exit tells
    const gone = (why: string) => {
      if (this.child === child) this.child = undefined;
      this.buffered = '';
      for (const p of this.pending.splice(0)) p.reject(new BerthError('unavailable', `perl helper ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
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
      if (line === '0' || line.startsWith('0 ')) {
        p.resolve(line === '0' ? undefined : Number(line.slice(2)));
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
