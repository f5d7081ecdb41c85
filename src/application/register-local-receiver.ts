import { WEBHOOK_EVENT_TYPE_LIST, type WebhookEndpoint } from '../domain/webhook-endpoint.js';
import type { HandOverOutcome, LocalReceiver } from './ports/local-receiver.js';
import type { Logger } from './ports/logger.js';
import type { WebhookEndpoints } from './ports/webhook-endpoints.js';
import type { RegisterWebhookEndpoint } from './register-webhook-endpoint.js';
import type { RotateWebhookSecret } from './rotate-webhook-secret.js';
import type { SetWebhookEndpointEnabled } from './set-webhook-endpoint-enabled.js';

export interface RegisteredLocalReceiver {
  readonly endpoint: WebhookEndpoint;
  /** Shown this once, like any new secret: the receiver has it only when `receiver` is `taken`. */
  readonly secret: string;
  /** False when the receiver was registered already: it got a new secret instead. */
  readonly created: boolean;
  readonly receiver: HandOverOutcome;
}

/**
 * Development only (WEBHOOK_ALLOW_INSECURE=true): registers the local receiver (`npm run receiver`) for every
 * event type and hands it the secret, so that it can verify what it receives. Asked again, it registers
 * nothing new: the endpoint is enabled and gets a new secret, handed over the same way (a receiver that was
 * restarted has forgotten the old one).
 */
export class RegisterLocalReceiver {
  constructor(
    private readonly receiver: LocalReceiver,
    private readonly endpoints: WebhookEndpoints,
    private readonly register: RegisterWebhookEndpoint,
    private readonly setEnabled: SetWebhookEndpointEnabled,
    private readonly rotate: RotateWebhookSecret,
    private readonly logger: Logger,
  ) {}

  /** @throws what RegisterWebhookEndpoint throws (a ValidationError naming `url` when insecure URLs are not allowed) */
  async execute(): Promise<RegisteredLocalReceiver> {
    const existing = (await this.endpoints.list()).find((endpoint) => endpoint.url === this.receiver.url);
    const { endpoint, secret } = existing
      ? await this.renew(existing)
      : await this.register.execute({ url: this.receiver.url, events: WEBHOOK_EVENT_TYPE_LIST, description: 'the local receiver (npm run receiver)' });
    const receiver = await this.receiver.handOver(endpoint.id, secret);
    this.logger.info('local receiver registered', { endpointId: endpoint.id, created: existing === undefined, receiver });
    return { endpoint, secret, created: existing === undefined, receiver };
  }

  /** The registered receiver, enabled again if it was disabled, with a new secret. */
  private async renew(existing: WebhookEndpoint): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    if (!existing.enabled) await this.setEnabled.execute(existing.id, true);
    const { secret, previousSecretExpiresAt } = await this.rotate.execute(existing.id);
    return { endpoint: { ...existing, enabled: true, previousSecretExpiresAt }, secret };
  }
}
