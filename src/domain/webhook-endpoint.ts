import { DomainError, ValidationError } from './errors.js';
import { NOTIFICATION_KINDS, type NotificationKind } from './notification.js';
import { plainTextProblems } from './text-rules.js';

/**
 * The event types a webhook endpoint subscribes to, as receivers see them in the body's `type`: one per
 * notification kind (`order-shipped` is `order.shipped`).
 */
export const WEBHOOK_EVENT_TYPES = {
  'order-created': 'order.created',
  'order-shipped': 'order.shipped',
  'order-delivered': 'order.delivered',
  'order-cancelled': 'order.cancelled',
} as const satisfies Record<NotificationKind, string>;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[NotificationKind];

export const WEBHOOK_EVENT_TYPE_LIST: readonly WebhookEventType[] = NOTIFICATION_KINDS.map((kind) => WEBHOOK_EVENT_TYPES[kind]);

/** The notification kind of an event type a caller subscribed to, or undefined when there is none. */
export function kindOfWebhookEventType(type: unknown): NotificationKind | undefined {
  return NOTIFICATION_KINDS.find((kind) => WEBHOOK_EVENT_TYPES[kind] === type);
}

/** Endpoint ids: `ep_` and 24 lowercase hex digits, generated; they appear in ledger keys, metrics and paths. */
export const WEBHOOK_ENDPOINT_ID = /^ep_[0-9a-f]{24}$/;
/** The most an endpoint's URL may have, in characters. */
export const WEBHOOK_URL_MAX_LENGTH = 2048;
/** The most endpoints one installation may register: each is a label value of the metrics and a delivery per event. */
export const WEBHOOK_ENDPOINTS_MAX = 50;
/** The most an endpoint's description (for the admins, never sent) may have, in characters. */
export const WEBHOOK_DESCRIPTION_MAX_LENGTH = 200;

/** A shop's system that receives signed notifications of the events it subscribed to. */
export interface WebhookEndpoint {
  readonly id: string;
  readonly url: string;
  /** The kinds it receives, in NOTIFICATION_KINDS order, never empty. */
  readonly events: readonly NotificationKind[];
  /** A disabled endpoint receives nothing; deliveries queued for it are skipped. */
  readonly enabled: boolean;
  readonly description?: string;
  readonly createdAt: Date;
  /** Set while a rotated-out secret still signs beside the current one. */
  readonly previousSecretExpiresAt?: Date;
}

/**
 * The secrets that sign an endpoint's deliveries (`whsec_` and base64, the Standard Webhooks form): the current
 * one, and after a rotation the previous one until its grace period ends, so receivers can switch without a gap.
 */
export interface WebhookSecrets {
  readonly current: string;
  readonly previous?: { readonly secret: string; readonly expiresAt: Date };
}

/** The secrets that sign now: the current one, and the previous one while its grace period lasts. */
export function signingSecrets(secrets: WebhookSecrets, now: Date): string[] {
  const { previous } = secrets;
  return previous && previous.expiresAt.getTime() > now.getTime() ? [secrets.current, previous.secret] : [secrets.current];
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Checks an endpoint URL as written (the addresses its host resolves to are checked by the adapter, at
 * registration and again at each delivery): absolute, `https`, or `http` to a loopback host when insecure URLs
 * are allowed (development); no user or password in it; no fragment.
 * @returns the URL in its normal form
 * @throws ValidationError naming `url`
 */
export function checkWebhookUrl(input: unknown, allowInsecure: boolean): string {
  const refuse = (message: string): never => {
    throw new ValidationError([{ field: 'url', message }]);
  };
  if (typeof input !== 'string' || input.length === 0) return refuse('is required');
  if (input.length > WEBHOOK_URL_MAX_LENGTH) return refuse(`must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return refuse('must be an absolute URL');
  }
  if (url.protocol === 'http:') {
    if (!allowInsecure || !LOOPBACK_HOSTS.has(url.hostname)) return refuse('must use https (http only to localhost, when WEBHOOK_ALLOW_INSECURE=true)');
  } else if (url.protocol !== 'https:') return refuse('must use https');
  if (url.username !== '' || url.password !== '') return refuse('must not contain a user name or password');
  if (url.hash !== '') return refuse('must not contain a fragment (#…)');
  return url.toString();
}

/**
 * Checks the event types of a registration and turns them into notification kinds.
 * @throws ValidationError naming `events`
 */
export function checkWebhookEvents(input: unknown): NotificationKind[] {
  const refuse = (message: string): never => {
    throw new ValidationError([{ field: 'events', message }]);
  };
  if (!Array.isArray(input) || input.length === 0) return refuse(`must list at least one of ${WEBHOOK_EVENT_TYPE_LIST.join(', ')}`);
  const kinds = new Set<NotificationKind>();
  for (const type of input) {
    const kind = kindOfWebhookEventType(type);
    if (kind === undefined) return refuse(`must each be one of ${WEBHOOK_EVENT_TYPE_LIST.join(', ')}`);
    kinds.add(kind);
  }
  return NOTIFICATION_KINDS.filter((kind) => kinds.has(kind));
}

/**
 * Checks the optional description of a registration: absent, or a plain text (surrounding whitespace trimmed)
 * of at most WEBHOOK_DESCRIPTION_MAX_LENGTH characters.
 * @returns the description trimmed, or undefined when there is none
 * @throws ValidationError naming `description`
 */
export function checkWebhookDescription(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  if (typeof input !== 'string') throw new ValidationError([{ field: 'description', message: 'must be string' }]);
  const description = input.trim();
  const problems = plainTextProblems('description', description, WEBHOOK_DESCRIPTION_MAX_LENGTH);
  if (problems.length > 0) throw new ValidationError(problems);
  return description;
}

export class WebhookEndpointNotFoundError extends DomainError {
  readonly code = 'WEBHOOK_ENDPOINT_NOT_FOUND';
  constructor(readonly endpointId: string) {
    super(`No webhook endpoint with id "${endpointId}"`);
  }
}

/** WEBHOOK_ENDPOINTS_MAX endpoints are registered already: one must be removed before another is added. */
export class WebhookEndpointsFullError extends DomainError {
  readonly code = 'WEBHOOK_ENDPOINTS_FULL';
  constructor() {
    super(`At most ${WEBHOOK_ENDPOINTS_MAX} webhook endpoints can be registered: remove one before adding another`);
  }
}
