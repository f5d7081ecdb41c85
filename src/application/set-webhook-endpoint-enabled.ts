import { WEBHOOK_ENDPOINT_ID, WebhookEndpointNotFoundError, type WebhookEndpoint } from '../domain/webhook-endpoint.js';
import type { Logger } from './ports/logger.js';
import type { WebhookEndpoints } from './ports/webhook-endpoints.js';

/** Disables an endpoint (it receives nothing; what is queued for it is skipped when its turn comes) or enables it again. */
export class SetWebhookEndpointEnabled {
  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly logger: Logger,
  ) {}

  /**
   * @returns the endpoint as it is now (the same when it already was)
   * @throws WebhookEndpointNotFoundError
   */
  async execute(endpointId: string, enabled: boolean): Promise<WebhookEndpoint> {
    const endpoint = WEBHOOK_ENDPOINT_ID.test(endpointId) ? await this.endpoints.setEnabled(endpointId, enabled) : null;
    if (!endpoint) throw new WebhookEndpointNotFoundError(endpointId);
    this.logger.info(enabled ? 'webhook endpoint enabled' : 'webhook endpoint disabled', { endpointId });
    return endpoint;
  }
}
