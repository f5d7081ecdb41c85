import type { WebhookEndpoint } from '../domain/webhook-endpoint.js';
import type { Clock } from './ports/clock.js';
import type { WebhookEndpoints } from './ports/webhook-endpoints.js';

/** Every registered endpoint, the oldest first, without its secrets. */
export class ListWebhookEndpoints {
  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly clock: Clock,
  ) {}

  /** An endpoint carries `previousSecretExpiresAt` only while its previous secret still signs. */
  async execute(): Promise<WebhookEndpoint[]> {
    const now = this.clock.now().getTime();
    return (await this.endpoints.list()).map((endpoint) => {
      if (endpoint.previousSecretExpiresAt === undefined || endpoint.previousSecretExpiresAt.getTime() > now) return endpoint;
      const { previousSecretExpiresAt: _expired, ...current } = endpoint;
      return current;
    });
  }
}
