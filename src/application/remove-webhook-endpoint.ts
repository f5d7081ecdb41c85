import { WEBHOOK_ENDPOINT_ID, WebhookEndpointNotFoundError } from '../domain/webhook-endpoint.js';
import type { Logger } from './ports/logger.js';
import type { WebhookEndpoints } from './ports/webhook-endpoints.js';

/** Removes an endpoint for good: deliveries still queued for it are skipped when their turn comes. */
export class RemoveWebhookEndpoint {
  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly logger: Logger,
  ) {}

  /** @throws WebhookEndpointNotFoundError */
  async execute(endpointId: string): Promise<void> {
    if (!WEBHOOK_ENDPOINT_ID.test(endpointId) || !(await this.endpoints.remove(endpointId))) throw new WebhookEndpointNotFoundError(endpointId);
    this.logger.info('webhook endpoint removed', { endpointId });
  }
}
