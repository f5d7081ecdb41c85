import type { NotificationKind } from '../../domain/notification.js';
import type { WebhookEndpoint, WebhookSecrets } from '../../domain/webhook-endpoint.js';

/** An endpoint with the secrets that sign its deliveries: what the sender needs, never what a list shows. */
export interface WebhookEndpointWithSecrets {
  readonly endpoint: WebhookEndpoint;
  readonly secrets: WebhookSecrets;
}

/** The registered webhook endpoints, shared by every process on the same database. */
export interface WebhookEndpoints {
  add(endpoint: WebhookEndpoint, secret: string): Promise<void>;
  /** Every endpoint, the oldest first. */
  list(): Promise<WebhookEndpoint[]>;
  /** The endpoint with its secrets, or null when there is none with this id. */
  get(id: string): Promise<WebhookEndpointWithSecrets | null>;
  /** The enabled endpoints that subscribe to this kind, the oldest first. */
  subscribersOf(kind: NotificationKind): Promise<WebhookEndpoint[]>;
  /** Resolves with the endpoint as it is now, or null when there is none with this id. */
  setEnabled(id: string, enabled: boolean): Promise<WebhookEndpoint | null>;
  /** The new secret signs from now on; the current one becomes the previous one, signing beside it until `previousExpiresAt`. False when there is no such endpoint. */
  rotateSecret(id: string, secret: string, previousExpiresAt: Date): Promise<boolean>;
  /** False when there was no such endpoint. Deliveries still queued for it are skipped when their turn comes. */
  remove(id: string): Promise<boolean>;
}
