import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface InboxMessage {
  readonly id: number;
  readonly receivedAt: Date;
  readonly from: string;
  readonly to: string[];
  readonly subject: string;
  readonly messageId: string;
  readonly headers: Record<string, string>;
  readonly text: string;
  readonly html?: string;
}

/** Recipients at this domain are refused with 550, to try the dead-letter path without a real mail server. */
export const BOUNCE_DOMAIN = 'bounce.invalid';

export interface InboxLimits {
  /** Larger messages are refused with 552 (announced as SIZE in EHLO). */
  readonly maxMessageBytes: number;
  /** The oldest message goes when a new one would exceed this. */
  readonly maxMessages: number;
}

export const DEFAULT_INBOX_LIMITS: InboxLimits = { maxMessageBytes: 1024 * 1024, maxMessages: 500 };

/** The single-process mode's mail server: a real SMTP server (smtp-server) that keeps the last messages for the inbox page. */
export class EmbeddedInbox {
  private readonly kept: InboxMessage[] = [];
  private nextId = 1;
  private readonly server: SMTPServer;

  private constructor(private readonly limits: InboxLimits) {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      banner: 'ordermail embedded inbox',
      size: limits.maxMessageBytes,
      onRcptTo: (address, _session, callback) => {
        if (address.address.toLowerCase().endsWith(`@${BOUNCE_DOMAIN}`))
          return callback(Object.assign(new Error(`5.1.1 <${address.address}>: no such mailbox (the embedded inbox bounces @${BOUNCE_DOMAIN})`), { responseCode: 550 }));
        callback();
      },
      onData: (stream, session, callback) => {
        // Kept in memory only up to the limit; the rest is drained, and the message refused at the end.
        const chunks: Buffer[] = [];
        let bytes = 0;
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes <= limits.maxMessageBytes) chunks.push(chunk);
        });
        stream.on('end', () => {
          if (bytes > limits.maxMessageBytes || stream.sizeExceeded)
            return callback(Object.assign(new Error(`5.3.4 message is larger than the inbox keeps (${limits.maxMessageBytes} bytes)`), { responseCode: 552 }));
          this.keep(Buffer.concat(chunks), session).then(() => callback(), (error: unknown) => callback(error as Error));
        });
      },
    });
    this.server.on('error', () => undefined);
  }

  static async start(port: number, limits: InboxLimits = DEFAULT_INBOX_LIMITS): Promise<EmbeddedInbox> {
    const inbox = new EmbeddedInbox(limits);
    await new Promise<void>((resolve, reject) => {
      inbox.server.once('error', reject);
      inbox.server.listen(port, '127.0.0.1', () => resolve());
    });
    return inbox;
  }

  get smtpUrl(): string {
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  /** Newest first. */
  messages(): readonly InboxMessage[] {
    return this.kept;
  }

  message(id: number): InboxMessage | undefined {
    return this.kept.find((m) => m.id === id);
  }

  private async keep(raw: Buffer, session: SMTPServerSession): Promise<void> {
    const mail = await simpleParser(raw);
    const headers: Record<string, string> = {};
    for (const [name, value] of mail.headers) headers[name] = typeof value === 'string' ? value : JSON.stringify(value);
    this.kept.unshift({
      id: this.nextId++,
      receivedAt: new Date(),
      from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      to: session.envelope.rcptTo.map((r) => r.address),
      subject: mail.subject ?? '',
      messageId: mail.messageId ?? '',
      headers,
      text: mail.text ?? '',
      ...(typeof mail.html === 'string' ? { html: mail.html } : {}),
    });
    this.kept.splice(this.limits.maxMessages);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
