import type { NotificationFailureKind } from '../../domain/notification.js';

/** One delivery as it goes on the wire: the application chose its id, time and body; the adapter signs and posts it. */
export interface WebhookRequest {
  readonly url: string;
  /** `webhook-id`: the notification's deterministic id, the same on every attempt, so receivers can deduplicate. */
  readonly id: string;
  /** `webhook-timestamp`. */
  readonly timestamp: Date;
  /** The JSON body `{ type, timestamp, data }`, as it is signed and sent. */
  readonly body: string;
  /** Each signs (`v1,<base64>` in `webhook-signature`, space-separated): the current secret, and a rotated-out one in its grace period. */
  readonly secrets: readonly string[];
  /** Further headers (x-correlation-id). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface WebhookResponse {
  /** A 2xx status. */
  readonly status: number;
}

/**
 * How a delivery failed, as far as retrying goes:
 * - `unreachable`: no connection, a reset, or no answer within the timeout; says nothing about this delivery
 *   and counts toward the endpoint's circuit. A timeout's outcome is unknown: the receiver may have it (it
 *   deduplicates by `webhook-id`).
 * - `failed`: an answer of 408, 429 or 5xx: tried again (after `retryAfterMs` when the answer said so).
 * - `rejected`: any other answer that is not 2xx (another 4xx, a redirect, which is never followed): dead.
 * - `address-refused`: the host resolves to a private, loopback, link-local or metadata address: dead.
 */
export const WEBHOOK_FAILURE_KINDS = ['unreachable', 'failed', 'rejected', 'address-refused'] as const;
export type WebhookFailureKind = (typeof WEBHOOK_FAILURE_KINDS)[number];

export class WebhookDeliveryError extends Error {
  constructor(
    readonly kind: WebhookFailureKind,
    message: string,
    options?: {
      cause?: unknown;
      /** The status the endpoint answered with. */
      status?: number;
      /** From `Retry-After` (seconds or an HTTP date), when a 429 or 503 carried one. */
      retryAfterMs?: number;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.status !== undefined) this.status = options.status;
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  readonly status?: number;
  readonly retryAfterMs?: number;

  /** The failure as the ledger records it for callers: no URL, address or body. */
  get failureKind(): NotificationFailureKind {
    return FAILURE_KIND_OF[this.kind];
  }
}

const FAILURE_KIND_OF: Record<WebhookFailureKind, NotificationFailureKind> = {
  unreachable: 'endpoint-unreachable',
  failed: 'endpoint-failed',
  rejected: 'endpoint-rejected',
  'address-refused': 'address-refused',
};

/** Posts signed deliveries to the shop's endpoints. */
export interface WebhookSender {
  /**
   * Posts one delivery; resolves once the endpoint answered 2xx. Redirects are not followed; the host's
   * addresses are checked at connect time, so a DNS change cannot point a registered URL inward.
   * @throws WebhookDeliveryError
   */
  send(request: WebhookRequest): Promise<WebhookResponse>;
}

/** Checks where a URL points before it is registered: the same address rules the sender applies at each delivery. */
export interface WebhookAddressCheck {
  /**
   * Resolves when every address the URL's host resolves to may be called.
   * @throws ValidationError naming `url` when one may not (private, loopback, link-local, metadata) or the host does not resolve
   */
  check(url: string): Promise<void>;
}
