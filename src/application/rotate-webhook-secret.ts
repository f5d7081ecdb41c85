import { WEBHOOK_ENDPOINT_ID, WebhookEndpointNotFoundError } from '../domain/webhook-endpoint.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import { newWebhookSecret, type SecretGenerator } from './ports/secret-generator.js';
import type { WebhookEndpoints } from './ports/webhook-endpoints.js';

/** The new secret, shown this once, and until when the one it replaces still signs beside it. */
export interface RotatedWebhookSecret {
  readonly secret: string;
  readonly previousSecretExpiresAt: Date;
}

/**
 * Gives an endpoint a new signing secret. Deliveries carry a signature by each secret during the grace period,
 * so the receiver can switch to the new one without refusing a delivery; a secret rotated out earlier stops.
 */
export class RotateWebhookSecret {
  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly random: SecretGenerator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: { readonly graceMs: number },
  ) {}

  /** @throws WebhookEndpointNotFoundError */
  async execute(endpointId: string): Promise<RotatedWebhookSecret> {
    if (!WEBHOOK_ENDPOINT_ID.test(endpointId)) throw new WebhookEndpointNotFoundError(endpointId);
    const secret = newWebhookSecret(this.random);
    const previousSecretExpiresAt = new Date(this.clock.now().getTime() + this.options.graceMs);
    if (!(await this.endpoints.rotateSecret(endpointId, secret, previousSecretExpiresAt))) throw new WebhookEndpointNotFoundError(endpointId);
    this.logger.info('webhook secret rotated', { endpointId, previousSecretExpiresAt: previousSecretExpiresAt.toISOString() });
    return { secret, previousSecretExpiresAt };
  }
}
