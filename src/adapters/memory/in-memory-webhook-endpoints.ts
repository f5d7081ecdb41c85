import { DataRejectedError } from '../../application/errors.js';
import type { WebhookEndpoints, WebhookEndpointWithSecrets } from '../../application/ports/webhook-endpoints.js';
import { NOTIFICATION_KINDS, type NotificationKind } from '../../domain/notification.js';
import type { WebhookEndpoint, WebhookSecrets } from '../../domain/webhook-endpoint.js';

interface Stored {
  endpoint: WebhookEndpoint;
  secrets: WebhookSecrets;
}

/** The registered endpoints in this process: for unit tests. Hands out copies, as a database would. */
export class InMemoryWebhookEndpoints implements WebhookEndpoints {
  private readonly endpoints = new Map<string, Stored>();

  async add(endpoint: WebhookEndpoint, secret: string): Promise<void> {
    // The primary key's refusal, as PgWebhookEndpoints reports it.
    if (this.endpoints.has(endpoint.id)) throw new DataRejectedError('memory', 'duplicate webhook endpoint id');
    // A new endpoint has no previous secret, whatever the object says.
    const { previousSecretExpiresAt: _none, ...added } = endpoint;
    this.endpoints.set(endpoint.id, { endpoint: copy(added), secrets: { current: secret } });
  }

  async list(): Promise<WebhookEndpoint[]> {
    return this.oldestFirst().map(({ endpoint }) => copy(endpoint));
  }

  async get(id: string): Promise<WebhookEndpointWithSecrets | null> {
    const stored = this.endpoints.get(id);
    if (!stored) return null;
    const { previous } = stored.secrets;
    return { endpoint: copy(stored.endpoint), secrets: { current: stored.secrets.current, ...(previous ? { previous: { ...previous } } : {}) } };
  }

  async subscribersOf(kind: NotificationKind): Promise<WebhookEndpoint[]> {
    return this.oldestFirst()
      .filter(({ endpoint }) => endpoint.enabled && endpoint.events.includes(kind))
      .map(({ endpoint }) => copy(endpoint));
  }

  async setEnabled(id: string, enabled: boolean): Promise<WebhookEndpoint | null> {
    const stored = this.endpoints.get(id);
    if (!stored) return null;
    stored.endpoint = { ...stored.endpoint, enabled };
    return copy(stored.endpoint);
  }

  async rotateSecret(id: string, secret: string, previousExpiresAt: Date): Promise<boolean> {
    const stored = this.endpoints.get(id);
    if (!stored) return false;
    stored.secrets = { current: secret, previous: { secret: stored.secrets.current, expiresAt: new Date(previousExpiresAt) } };
    stored.endpoint = { ...stored.endpoint, previousSecretExpiresAt: new Date(previousExpiresAt) };
    return true;
  }

  async remove(id: string): Promise<boolean> {
    return this.endpoints.delete(id);
  }

  /** By creation time, then id: the order PgWebhookEndpoints lists them in. */
  private oldestFirst(): Stored[] {
    return [...this.endpoints.values()].sort(
      (a, b) => a.endpoint.createdAt.getTime() - b.endpoint.createdAt.getTime() || (a.endpoint.id < b.endpoint.id ? -1 : a.endpoint.id > b.endpoint.id ? 1 : 0),
    );
  }
}

function copy(endpoint: WebhookEndpoint): WebhookEndpoint {
  return {
    ...endpoint,
    events: NOTIFICATION_KINDS.filter((kind) => endpoint.events.includes(kind)),
    createdAt: new Date(endpoint.createdAt),
    ...(endpoint.previousSecretExpiresAt ? { previousSecretExpiresAt: new Date(endpoint.previousSecretExpiresAt) } : {}),
  };
}
