import type { NotificationKind } from '../domain/notification.js';
import type { WebhookEndpoint } from '../domain/webhook-endpoint.js';
import type { Clock } from './ports/clock.js';
import type { WebhookEndpointWithSecrets, WebhookEndpoints } from './ports/webhook-endpoints.js';
import type { EndpointLookup } from './webhook-notification-sender.js';

/**
 * The registry as the notifier reads it on every event and every delivery, remembered for `ttlMs`: a
 * registration, a disabled endpoint or a rotated secret takes effect within that time, and a busy notifier
 * does not ask the database about endpoints once per message.
 */
export class WebhookSubscribers implements EndpointLookup {
  private readonly byKind = new Map<NotificationKind, { readonly at: number; readonly endpoints: Promise<WebhookEndpoint[]> }>();
  private readonly byId = new Map<string, { readonly at: number; readonly endpoint: Promise<WebhookEndpointWithSecrets | null> }>();

  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly clock: Clock,
    private readonly ttlMs = 1000,
  ) {}

  /** The enabled endpoints subscribed to `kind`. @throws DependencyUnavailableError when the registry cannot be read */
  of(kind: NotificationKind): Promise<WebhookEndpoint[]> {
    return this.remembered(this.byKind, kind, (entry) => entry.endpoints, () => this.endpoints.subscribersOf(kind), (endpoints, at) => ({ at, endpoints }));
  }

  get(id: string): Promise<WebhookEndpointWithSecrets | null> {
    return this.remembered(this.byId, id, (entry) => entry.endpoint, () => this.endpoints.get(id), (endpoint, at) => ({ at, endpoint }));
  }

  private remembered<K, E extends { readonly at: number }, V>(cache: Map<K, E>, key: K, valueOf: (entry: E) => Promise<V>, read: () => Promise<V>, entry: (value: Promise<V>, at: number) => E): Promise<V> {
    const now = this.clock.now().getTime();
    const hit = cache.get(key);
    if (hit && now - hit.at < this.ttlMs) return valueOf(hit);
    const value = read();
    cache.set(key, entry(value, now));
    // A failed read is not remembered: the next one asks again.
    value.catch(() => {
      if (cache.get(key) && valueOf(cache.get(key) as E) === value) cache.delete(key);
    });
    return value;
  }
}
