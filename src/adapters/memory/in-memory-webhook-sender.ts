import { WebhookDeliveryError, type WebhookFailureKind, type WebhookRequest, type WebhookResponse, type WebhookSender } from '../../application/ports/webhook-sender.js';

/** Keeps the deliveries it was handed in a list; `failNext` scripts failures the way an endpoint would answer. */
export class InMemoryWebhookSender implements WebhookSender {
  readonly sent: WebhookRequest[] = [];
  private readonly failures: WebhookDeliveryError[] = [];
  private lostAnswers = 0;

  /** The next `times` sends fail with this error (a kind alone makes one), and are not recorded as delivered. */
  failNext(failure: WebhookDeliveryError | WebhookFailureKind, times = 1): void {
    const error = typeof failure === 'string' ? new WebhookDeliveryError(failure, `scripted ${failure} failure`) : failure;
    for (let i = 0; i < times; i++) this.failures.push(error);
  }

  /** The next `times` deliveries arrive (they are recorded) but the answer is lost: `unreachable`, as after a timeout. */
  loseAnswerNext(times = 1): void {
    this.lostAnswers += times;
  }

  /** What reached one endpoint, in order. */
  sentTo(url: string): WebhookRequest[] {
    return this.sent.filter((request) => request.url === url);
  }

  async send(request: WebhookRequest): Promise<WebhookResponse> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(request);
    if (this.lostAnswers > 0) {
      this.lostAnswers -= 1;
      throw new WebhookDeliveryError('unreachable', 'no answer within the timeout (scripted): the endpoint has it');
    }
    return { status: 204 };
  }
}
