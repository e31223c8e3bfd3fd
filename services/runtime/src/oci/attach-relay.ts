import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BerthError, DEFAULT_PATH } from '@berth/kit';
import type { StdioFrame, StdioSession } from '../domain/ports.js';

/**
 * conmon's attach socket is SOCK_SEQPACKET: every packet it sends is one read of the process's
 * output with a 1-byte stream id in front (2 stdout, 3 stderr); every packet it receives goes to
 * the process's stdin. Node cannot open SEQPACKET sockets, and a relay that turns the socket into
 * a byte pipe (socat) loses the packet boundaries, and with them the stream ids. So this tiny
 * relay, in Perl (perl-base is Essential on Debian: always installed), frames each packet as
 * [u32 length][packet] on its stdout and sends each read of its stdin as one packet. It writes an
 * empty frame once connected. End of its stdin shuts down the write side (conmon then closes the
 * process's stdin); the socket's end (the process exited, conmon drained its output) ends it.
 * Started with a second argument, it waits for the socket to exist (an attach to a container
 * not started yet: the relay is up before conmon, and SIGUSR1 tells it to try at once).
 *
 * One relay starts per attach (every `docker run` without -d), so it loads no module: `use Socket`
 * costs ~11 ms of CPU, `use warnings` ~3 ms and `%!` (Errno) ~2.5 ms against ~2.5 ms for perl
 * itself. The constants are Linux's (the same on x86-64, arm64 and riscv64): PF_UNIX 1,
 * SOCK_SEQPACKET 5, sockaddr_un = u16 family + 108-byte path; errno ENOENT 2, EINTR 4, EAGAIN 11,
 * ECONNREFUSED 111.
 */
const RELAY = String.raw`
$SIG{PIPE} = 'DEFAULT';
$SIG{USR1} = sub {};
die "socket path too long: $ARGV[0]\n" if length($ARGV[0]) > 107;
my $addr = pack('S a108', 1, $ARGV[0]);
my ($s, $said);
for (;;) {
  socket($s, 1, 5, 0) or die "socket: $!\n";
  last if connect($s, $addr);
  die "connect $ARGV[0]: $!\n" unless $ARGV[1] && ($! == 2 || $! == 111);
  close($s);
  syswrite(STDERR, "waiting\n") unless $said++; # its USR1 handler is set: kick() may signal it now
  select(undef, undef, undef, 0.25); # until the socket exists; SIGUSR1 cuts the wait short
}
sub out { my $d = shift; while (length $d) { my $n = syswrite(STDOUT, $d); if (!defined $n) { next if $! == 4; exit 0 } substr($d, 0, $n, '') } }
out(pack('N', 0));
my $in = 1;
for (;;) {
  my $r = ''; vec($r, fileno($s), 1) = 1; vec($r, 0, 1) = 1 if $in;
  if (select($r, undef, undef, undef) < 0) { next if $! == 4; die "select: $!\n" }
  if (vec($r, fileno($s), 1)) {
    my $n = sysread($s, my $buf, 65536);
    if (!defined $n) { next if $! == 4 || $! == 11; exit 0 }
    exit 0 if $n == 0;
    out(pack('N', $n) . $buf);
  }
  if ($in && vec($r, 0, 1)) {
    my $n = sysread(STDIN, my $buf, 16384);
    if (!defined $n) { next if $! == 4; $n = 0 }
    if ($n == 0) { shutdown($s, 1); $in = 0; next }
    defined(send($s, $buf, 0)) or exit 0;
  }
}
`;

/** conmon's stream ids in attach packets. */
const CONMON_STDOUT = 2;
const CONMON_STDERR = 3;

/** One connection to a conmon attach socket, through the relay. */
export class AttachRelay implements StdioSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: StdioFrame[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private error: Error | undefined;
  private pending = Buffer.alloc(0);
  readonly connected: Promise<void>;

  private constructor(readonly socketPath: string, perl: string, wait: boolean) {
    const args = ['-e', RELAY, socketPath, ...(wait ? ['wait'] : [])];
    this.child = spawn(perl, args, { env: { PATH: DEFAULT_PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let onConnect!: () => void;
    let onFail!: (e: Error) => void;
    this.connected = new Promise<void>((resolve, reject) => ((onConnect = resolve), (onFail = reject)));
    this.connected.catch(() => undefined); // observed through frames() too
    this.child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
      if (!this.waiting && stderr.startsWith('waiting\n')) {
        stderr = stderr.slice('waiting\n'.length);
        this.waiting = true;
        if (this.kicked) this.kick();
      }
    });
    this.child.stdin.on('error', () => undefined); // the relay may be gone: its exit tells
    this.child.stdout.on('data', (b: Buffer) => this.onData(b, onConnect));
    this.child.on('error', (e) => this.finish(new BerthError('unavailable', `attach relay: ${e.message}`), onFail));
    this.child.on('close', () => {
      const failed = !this.isConnected && (stderr.trim() || 'attach relay ended before connecting');
      this.finish(failed ? new BerthError('failed_precondition', `cannot attach: ${failed}`) : undefined, onFail);
    });
  }

  private isConnected = false;
  /** The relay said it waits for the socket (its SIGUSR1 handler is in place); kick() came before that. */
  private waiting = false;
  private kicked = false;

  /**
   * Starts a relay to `socketPath`; `connected` resolves once conmon has the connection queued.
   * With `wait`, a missing socket is waited for (see kick()).
   */
  static open(socketPath: string, perl = '/usr/bin/perl', wait = false): AttachRelay {
    return new AttachRelay(socketPath, perl, wait);
  }

  /**
   * The socket should exist now: a waiting relay tries to connect at once. Signalled only once it
   * said it waits — before its handler is set, SIGUSR1 would kill it; until then it has not tried
   * yet, and its first try finds the socket.
   */
  kick(): void {
    this.kicked = true;
    if (this.waiting && !this.isConnected && this.child.exitCode === null && this.child.pid) this.child.kill('SIGUSR1');
  }

  private onData(chunk: Buffer, onConnect: () => void): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 4) {
      const len = this.pending.readUInt32BE(0);
      if (this.pending.length < 4 + len) break;
      const packet = this.pending.subarray(4, 4 + len);
      this.pending = this.pending.subarray(4 + len);
      if (len === 0) {
        this.isConnected = true;
        onConnect();
      } else if (packet[0] === CONMON_STDOUT || packet[0] === CONMON_STDERR) {
        this.queue.push({ stream: packet[0] === CONMON_STDOUT ? 1 : 2, data: Buffer.from(packet.subarray(1)) });
      }
    }
    // Back-pressure: stop reading while the consumer has a backlog (conmon then blocks, as for podman).
    if (this.queue.length > 256) this.child.stdout.pause();
    this.wake?.();
  }

  private finish(err: Error | undefined, onFail: (e: Error) => void): void {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    if (err) onFail(err);
    this.wake?.();
  }

  /** The process's output, until conmon closes the connection (or close() is called). */
  async *frames(): AsyncGenerator<StdioFrame> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        if (this.queue.length < 64) this.child.stdout.resume();
        yield next;
        continue;
      }
      if (this.ended) {
        if (this.error && !this.isConnected) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  write(data: Buffer): void {
    if (!this.ended && !this.child.stdin.writableEnded) this.child.stdin.write(data);
  }

  closeStdin(): void {
    if (!this.child.stdin.writableEnded) this.child.stdin.end();
  }

  /** Drops the connection (the relay is killed; conmon sees the socket close). */
  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}
