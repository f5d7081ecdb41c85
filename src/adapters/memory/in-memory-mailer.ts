import { MailDeliveryError, type EmailMessage, type Mailer, type MailFailureKind, type SentEmail } from '../../application/ports/mailer.js';

/** Keeps sent emails in a list; `failNext` scripts failures the way a real server would answer. */
export class InMemoryMailer implements Mailer {
  readonly sent: EmailMessage[] = [];
  private readonly failures: { kind: MailFailureKind; code?: number }[] = [];
  private lostReplies = 0;
  reachable = true;

  failNext(kind: MailFailureKind, times = 1, code?: number): void {
    for (let i = 0; i < times; i++) this.failures.push({ kind, ...(code ? { code } : {}) });
  }

  /** The next `times` emails are kept (they count as sent) but the reply is lost: the outcome is unknown to the sender. */
  loseReplyNext(times = 1): void {
    this.lostReplies += times;
  }

  async send(message: EmailMessage): Promise<SentEmail> {
    if (!this.reachable) throw new MailDeliveryError('unavailable', 'connect ECONNREFUSED (in-memory mailer is down)');
    const failure = this.failures.shift();
    if (failure) throw new MailDeliveryError(failure.kind, `scripted ${failure.kind} failure`, failure.code);
    this.sent.push(message);
    if (this.lostReplies > 0) {
      this.lostReplies -= 1;
      throw new MailDeliveryError('unavailable', 'connection lost after the final dot (scripted)', undefined, { outcomeUnknown: true });
    }
    return { messageId: message.messageId, response: '250 OK' };
  }

  async verify(): Promise<void> {
    if (!this.reachable) throw new MailDeliveryError('unavailable', 'connect ECONNREFUSED (in-memory mailer is down)');
  }
}
