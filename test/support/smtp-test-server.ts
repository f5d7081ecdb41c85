import net from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export interface RecordedMessage {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
  readonly headers: Record<string, string>;
  readonly messageId: string;
  readonly subject: string;
  readonly acceptedAt: Date;
}

/**
 * Where a scripted reply replaces the server's own: instead of the 220 banner (`connect`), to EHLO and
 * HELO (`greeting`), to MAIL FROM (`mail`), to RCPT TO (`rcpt`, the default) or after the message's
 * final dot (`data`).
 */
export type Stage = 'connect' | 'greeting' | 'mail' | 'rcpt' | 'data';

export interface Script {
  /** Which recipients: an exact address, a pattern, or all when absent (ignored before RCPT TO). */
  readonly to?: string | RegExp;
  readonly code: number;
  readonly message?: string;
  readonly at?: Stage;
  /** Only the first N matching messages; forever when absent. */
  times?: number;
  /** Only this share of matching messages (0..1), decided by `random`. */
  readonly probability?: number;
}

type Waiter = { done: () => boolean; resolve: () => void };

/** A real SMTP server for tests: records what it accepts; can be scripted to refuse, defer, fail or vanish. */
export class SmtpTestServer {
  readonly messages: RecordedMessage[] = [];
  /** Every scripted reply it gave, in order, and a 250 for each accepted message. */
  readonly replies: { to: string[]; code: number; at: Stage }[] = [];
  random: () => number = Math.random;
  private readonly scripts: Script[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly sockets = new Set<net.Socket>();
  private server: SMTPServer;
  private listening = false;
  private dropNext = 0;
  private dropAtRcptNext = 0;
  private dropAtRcptAfterMs = 0;
  private dropAfterNext = 0;
  private holdMs = 0;
  private holding = 0;
  private credentials?: { user: string; pass: string };
  private authFails = false;

  private constructor(private listenPort: number) {
    this.server = this.create();
  }

  static async start(port = 0): Promise<SmtpTestServer> {
    const server = new SmtpTestServer(port);
    await server.acceptConnections();
    return server;
  }

  get port(): number {
    return this.listenPort;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.listenPort}`;
  }

  script(script: Script): void {
    this.scripts.push({ ...script });
  }

  /** Requires these credentials (AUTH PLAIN/LOGIN); or, with `fail`, rejects every login with 535. */
  requireAuth(credentials: { user: string; pass: string } | { fail: true }): void {
    if ('fail' in credentials) this.authFails = true;
    else this.credentials = credentials;
  }

  /**
   * Cuts the connection instead of answering the next `count` RCPT TO, `afterMs` later (a server that stalls, then
   * goes away): no byte of those messages was sent.
   */
  dropAtRcpt(count = 1, afterMs = 0): void {
    this.dropAtRcptNext += count;
    this.dropAtRcptAfterMs = afterMs;
  }

  /** Destroys the connection in the middle of the next `count` DATA transfers. */
  dropMidData(count = 1): void {
    this.dropNext += count;
  }

  /**
   * Keeps the next `count` messages whole (they are recorded as received) but cuts the connection
   * instead of answering the final dot: the client cannot know whether the server took them.
   */
  dropAfterData(count = 1): void {
    this.dropAfterNext += count;
  }

  /**
   * Answers each message's final dot only `ms` later (0: at once), as a slow server does, so that a crash
   * of the sender can land while its emails are on the wire. The message is taken (recorded) when the 250
   * goes out; one whose client went away before that was never accepted, and is not recorded.
   */
  holdReplies(ms: number): void {
    this.holdMs = ms;
  }

  /** Messages received whole whose reply is being held now. */
  get held(): number {
    return this.holding;
  }

  reset(): void {
    this.scripts.length = 0;
    this.dropNext = 0;
    this.dropAtRcptNext = 0;
    this.dropAfterNext = 0;
    this.holdMs = 0;
    this.authFails = false;
    this.credentials = undefined;
  }

  clear(): void {
    this.messages.length = 0;
    this.replies.length = 0;
  }

  /** Closes the port (connection refused) and cuts the open connections. */
  async refuseConnections(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const old = this.server;
    await new Promise<void>((resolve) => old.close(() => resolve()));
    this.server = this.create();
  }

  /** Listens again, on the same port. */
  async acceptConnections(): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
    this.listenPort = (this.server.server.address() as net.AddressInfo).port;
    this.listening = true;
  }

  async stop(): Promise<void> {
    await this.refuseConnections();
  }

  /** Resolves once `count` messages (or one matching `predicate`) arrived; rejects with what did arrive. */
  waitFor(target: number | ((messages: readonly RecordedMessage[]) => boolean), timeoutMs = 10_000): Promise<void> {
    const done = typeof target === 'number' ? () => this.messages.length >= target : () => target(this.messages);
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`SMTP test server: waited ${timeoutMs} ms for ${typeof target === 'number' ? `${target} messages` : 'a condition'}; ${this.messages.length} arrived: ${this.messages.map((m) => `${m.to.join(',')} ${m.messageId}`).join('; ')}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** How many times each Message-ID arrived. */
  countByMessageId(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.messages) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    return counts;
  }

  /**
   * The Message-IDs that arrived more than once although their first copy was accepted after `killedAt`
   * (plus `graceMs` for a DATA already on the wire): duplicates a crash at `killedAt` does not explain.
   */
  duplicatesNotExplainedByKillAt(killedAt: number, graceMs = 1000): string[] {
    const first = new Map<string, number>();
    const copies = new Map<string, number>();
    for (const m of this.messages) {
      first.set(m.messageId, Math.min(first.get(m.messageId) ?? Infinity, m.acceptedAt.getTime()));
      copies.set(m.messageId, (copies.get(m.messageId) ?? 0) + 1);
    }
    return [...copies].filter(([id, n]) => n > 1 && (first.get(id) as number) > killedAt + graceMs).map(([id]) => id);
  }

  private create(): SMTPServer {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      size: 10 * 1024 * 1024,
      onConnect: (session, callback) => {
        const refusal = this.scripted('', 'connect');
        if (refusal) return callback(refusal);
        const greetingRefusal = this.scripted('', 'greeting');
        if (greetingRefusal) this.refuseGreeting(server, session, greetingRefusal);
        callback();
      },
      onMailFrom: (_address, _session, callback) => {
        const failure = this.scripted('', 'mail');
        if (failure) return callback(failure);
        callback();
      },
      onAuth: (auth, _session, callback) => {
        if (this.authFails || (this.credentials && (auth.username !== this.credentials.user || auth.password !== this.credentials.pass)))
          return callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
        callback(null, { user: auth.username });
      },
      onRcptTo: (address, session, callback) => {
        if (this.dropAtRcptNext > 0) {
          this.dropAtRcptNext -= 1;
          const cut = (): void => {
            for (const socket of this.sockets) if (socket.remotePort === session.remotePort) socket.destroy();
          };
          if (this.dropAtRcptAfterMs > 0) setTimeout(cut, this.dropAtRcptAfterMs);
          else cut();
          return;
        }
        const failure = this.scripted(address.address, 'rcpt');
        if (failure) return callback(failure);
        callback();
      },
      onData: (stream, session, callback) => this.receive(stream, session, callback),
    });
    server.on('error', () => undefined);
    server.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  /** smtp-server has no EHLO hook: this one session's EHLO and HELO handlers answer with the refusal. */
  private refuseGreeting(server: SMTPServer, session: SMTPServerSession, refusal: Error & { responseCode?: number }): void {
    type Connection = { session: SMTPServerSession; send: (code: number, text: string, context?: false) => void } & Record<string, unknown>;
    const connections = (server as unknown as { connections: Set<Connection> }).connections;
    for (const connection of connections)
      if (connection.session === session)
        for (const handler of ['handler_EHLO', 'handler_HELO'])
          connection[handler] = (_command: unknown, callback: () => void) => {
            connection.send(refusal.responseCode ?? 554, refusal.message, false);
            callback();
          };
  }

  private scripted(address: string, at: Stage): Error | undefined {
    for (const script of this.scripts) {
      if ((script.at ?? 'rcpt') !== at) continue;
      if (address && script.to !== undefined && !(typeof script.to === 'string' ? script.to === address : script.to.test(address))) continue;
      if (script.times !== undefined && script.times <= 0) continue;
      if (script.probability !== undefined && this.random() >= script.probability) continue;
      if (script.times !== undefined) script.times -= 1;
      this.replies.push({ to: address ? [address] : [], code: script.code, at });
      return Object.assign(new Error(script.message ?? `scripted ${script.code}`), { responseCode: script.code });
    }
    return undefined;
  }

  private receive(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void): void {
    const chunks: Buffer[] = [];
    const drop = this.dropNext > 0;
    if (drop) this.dropNext -= 1;
    const dropAfter = !drop && this.dropAfterNext > 0;
    if (dropAfter) this.dropAfterNext -= 1;
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (drop) for (const socket of this.sockets) if (socket.remotePort === session.remotePort) socket.destroy();
    });
    stream.on('end', () => {
      if (drop) return;
      const to = session.envelope.rcptTo.map((r) => r.address);
      for (const address of to) {
        const failure = this.scripted(address, 'data');
        if (failure) return callback(failure);
      }
      const holdMs = this.holdMs;
      if (holdMs === 0) return this.accept(chunks, session, to, dropAfter, callback);
      this.holding += 1;
      setTimeout(() => {
        this.holding -= 1;
        const connected = [...this.sockets].some((socket) => socket.remotePort === session.remotePort && !socket.destroyed);
        if (connected) this.accept(chunks, session, to, dropAfter, callback);
      }, holdMs);
    });
  }

  private accept(chunks: Buffer[], session: SMTPServerSession, to: string[], dropAfter: boolean, callback: (error?: Error | null) => void): void {
    const raw = Buffer.concat(chunks).toString('utf8');
    const headers = parseHeaders(raw);
    this.messages.push({
      from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      to,
      raw,
      headers,
      messageId: headers['message-id'] ?? '',
      subject: headers.subject ?? '',
      acceptedAt: new Date(),
    });
    if (dropAfter) {
      for (const socket of this.sockets) if (socket.remotePort === session.remotePort) socket.destroy();
    } else {
      this.replies.push({ to, code: 250, at: 'data' });
      callback();
    }
    for (const waiter of this.waiters)
      if (waiter.done()) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
  }
}

/** Header names lower-cased, folded lines joined; the last one wins. */
export function parseHeaders(raw: string): Record<string, string> {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
