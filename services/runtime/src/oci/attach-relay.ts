import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import net from 'node:net';
import { BerthError } from '@berth/kit';
import type { StdioFrame, StdioSession } from '../domain/ports.js';
import type { PerlHelper } from './perl-helper.js';

/**
 * conmon's attach socket is SOCK_SEQPACKET: every packet it sends is one read of the process's
 * output with a 1-byte stream id in front (2 stdout, 3 stderr); every packet it receives goes to
 * the process's stdin. Node cannot open SEQPACKET sockets, and a relay that turns the socket into
 * a byte pipe (socat) loses the packet boundaries, and with them the stream ids. So a small relay
 * in Perl (perl-helper.ts: forked by the long-lived helper, no process start-up per attach) sits
 * between conmon's socket and a stream connection to this hub, a unix socket of the service's:
 *
 * - relay → hub: the session's token (32 hex characters), then frames [u32 length][packet]: an
 *   empty frame once connected to conmon, conmon's packets as they come, "W" when it waits for
 *   the socket to exist, "E<message>" when it cannot connect (then it exits).
 * - hub → relay: the process's stdin, each read sent to conmon as one packet; the end of it (a
 *   half-close) shuts down the relay's write side (conmon then closes the process's stdin).
 *
 * The socket's end (the process exited, conmon drained its output) ends the relay and the
 * session. Opened with `wait`, the relay waits for the socket to exist (an attach to a container
 * not started yet: the relay is up before conmon, and SIGUSR1 tells it to try at once).
 */
export class AttachHub {
  private server: net.Server | undefined;
  private listening: Promise<void> | undefined;
  private readonly sessions = new Map<string, AttachRelay>();

  constructor(
    readonly socketPath: string,
    private readonly helper: PerlHelper,
  ) {}

  /** Starts a relay to conmon's `socketPath`; `connected` resolves once conmon has the connection queued. */
  open(socketPath: string, wait = false): AttachRelay {
    const token = randomBytes(16).toString('hex');
    const session = new AttachRelay(() => this.sessions.delete(token));
    this.sessions.set(token, session);
    this.listen()
      .then(() => this.helper.relay(socketPath, this.socketPath, token, wait))
      .then((pid) => session.started(pid))
      .catch((err: Error) => session.failed(new BerthError('unavailable', `attach relay: ${err.message}`)));
    return session;
  }

  close(): void {
    if (this.server) rmSync(this.socketPath, { force: true });
    this.server?.close();
    this.server = undefined;
    this.listening = undefined;
    for (const s of this.sessions.values()) s.close();
  }

  private listen(): Promise<void> {
    this.listening ??= (async () => {
      await rm(this.socketPath, { force: true }); // left by an earlier run of the service
      const server = net.createServer((sock) => this.accept(sock));
      this.server = server;
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.socketPath, resolve));
      server.on('error', () => undefined);
      server.unref(); // an idle hub must not keep the service (or a test) alive
      await chmod(this.socketPath, 0o600);
    })().catch((err: Error) => {
      this.listening = undefined;
      throw err;
    });
    return this.listening;
  }

  /** A relay's connection: its first 32 bytes name the session. */
  private accept(sock: net.Socket): void {
    let head = Buffer.alloc(0);
    const onData = (b: Buffer) => {
      head = Buffer.concat([head, b]);
      if (head.length < TOKEN_LENGTH) return;
      sock.off('data', onData);
      const session = this.sessions.get(head.subarray(0, TOKEN_LENGTH).toString('latin1'));
      if (!session) return void sock.destroy();
      session.attachSocket(sock, head.subarray(TOKEN_LENGTH));
    };
    sock.on('data', onData);
    sock.on('error', () => undefined); // 'close' follows
  }
}

const TOKEN_LENGTH = 32;
/** conmon's stream ids in attach packets, and the relay's own frames. */
const CONMON_STDOUT = 2;
const CONMON_STDERR = 3;
const RELAY_WAITING = 0x57; // 'W'
const RELAY_ERROR = 0x45; // 'E'

/** One connection to a conmon attach socket, through a relay. */
export class AttachRelay implements StdioSession {
  private sock: net.Socket | undefined;
  private pid: number | undefined;
  private readonly queue: StdioFrame[] = [];
  /** Input written before the relay's connection arrived, and whether its end came too. */
  private early: Buffer[] = [];
  private earlyEnd = false;
  private wake: (() => void) | undefined;
  private ended = false;
  private closed = false;
  private error: Error | undefined;
  private relayError = '';
  private pending = Buffer.alloc(0);
  private isConnected = false;
  /** The relay said it waits for the socket (its SIGUSR1 handler is in place); kick() came before that. */
  private waiting = false;
  private kicked = false;
  private onConnect!: () => void;
  private onFail!: (e: Error) => void;
  readonly connected: Promise<void>;

  constructor(private readonly forget: () => void) {
    this.connected = new Promise<void>((resolve, reject) => ((this.onConnect = resolve), (this.onFail = reject)));
    this.connected.catch(() => undefined); // observed through frames() too
  }

  /** The helper forked the relay. */
  started(pid: number): void {
    this.pid = pid;
    if (this.closed) this.signal('SIGTERM');
    else if (this.kicked) this.kick();
  }

  /** The relay could not be started. */
  failed(err: Error): void {
    this.finish(err);
  }

  /** The relay's connection to the hub, and what came after its token. */
  attachSocket(sock: net.Socket, rest: Buffer): void {
    if (this.closed || this.ended) return void sock.destroy();
    this.sock = sock;
    sock.on('data', (b: Buffer) => this.onData(b));
    sock.on('close', () => {
      const failed = !this.isConnected && (this.relayError || 'attach relay ended before connecting');
      this.finish(failed ? new BerthError('failed_precondition', `cannot attach: ${failed}`) : undefined);
    });
    for (const b of this.early) sock.write(b);
    if (this.earlyEnd) sock.end();
    this.early = [];
    if (rest.length) this.onData(rest);
  }

  /**
   * The socket should exist now: a waiting relay tries to connect at once. Signalled only once it
   * said it waits — before its handler is set, SIGUSR1 would kill it; until then it has not tried
   * yet, and its first try finds the socket.
   */
  kick(): void {
    this.kicked = true;
    if (this.waiting && !this.isConnected) this.signal('SIGUSR1');
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.pid === undefined || this.ended) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      // gone already: its connection's end tells
    }
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 4) {
      const len = this.pending.readUInt32BE(0);
      if (this.pending.length < 4 + len) break;
      const packet = this.pending.subarray(4, 4 + len);
      this.pending = this.pending.subarray(4 + len);
      if (len === 0) {
        this.isConnected = true;
        this.onConnect();
      } else if (packet[0] === CONMON_STDOUT || packet[0] === CONMON_STDERR) {
        this.queue.push({ stream: packet[0] === CONMON_STDOUT ? 1 : 2, data: Buffer.from(packet.subarray(1)) });
      } else if (packet[0] === RELAY_WAITING && !this.isConnected) {
        this.waiting = true;
        if (this.kicked) this.kick();
      } else if (packet[0] === RELAY_ERROR) {
        this.relayError = packet.subarray(1).toString('utf8');
      }
    }
    // Back-pressure: stop reading while the consumer has a backlog (conmon then blocks, as for podman).
    if (this.queue.length > 256) this.sock?.pause();
    this.wake?.();
  }

  private finish(err: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    this.forget();
    if (err) this.onFail(err);
    this.wake?.();
  }

  /** The process's output, until conmon closes the connection (or close() is called). */
  async *frames(): AsyncGenerator<StdioFrame> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        if (this.queue.length < 64) this.sock?.resume();
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
    if (this.ended || this.earlyEnd) return;
    if (!this.sock) this.early.push(data);
    else if (!this.sock.writableEnded) this.sock.write(data);
  }

  closeStdin(): void {
    if (!this.sock) this.earlyEnd = true;
    else if (!this.sock.writableEnded) this.sock.end();
  }

  /** Drops the connection (the relay is killed; conmon sees the socket close). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal('SIGTERM');
    this.sock?.destroy();
    if (!this.sock) this.finish(undefined);
  }
}
