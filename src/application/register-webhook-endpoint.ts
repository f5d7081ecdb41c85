import { ValidationError, type FieldError } from '../domain/errors.js';
import type { NotificationKind } from '../domain/notification.js';
import {
  checkWebhookDescription,
  checkWebhookEvents,
  checkWebhookUrl,
  WEBHOOK_ENDPOINTS_MAX,
  WebhookEndpointsFullError,
  type WebhookEndpoint,
} from '../domain/webhook-endpoint.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import { newWebhookEndpointId, newWebhookSecret, type SecretGenerator } from './ports/secret-generator.js';
import type { WebhookEndpoints } from './ports/webhook-endpoints.js';
import type { WebhookAddressCheck } from './ports/webhook-sender.js';

/** A registration as the caller sent it: every field is checked here. */
export interface RegisterWebhookEndpointCommand {
  /** `https://…` (or `http://localhost…` when insecure URLs are allowed). */
  readonly url?: unknown;
  /** Event types (`order.created`…), at least one. */
  readonly events?: unknown;
  readonly description?: unknown;
}

/** The new endpoint, and its secret: shown to the caller this once, never listed. */
export interface RegisteredWebhookEndpoint {
  readonly endpoint: WebhookEndpoint;
  readonly secret: string;
}

interface CheckedRegistration {
  readonly url: string;
  readonly events: NotificationKind[];
  readonly description?: string;
}

/** Registers a shop's endpoint for the event types it names, with a new signing secret. */
export class RegisterWebhookEndpoint {
  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly addressCheck: WebhookAddressCheck,
    private readonly random: SecretGenerator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: { readonly allowInsecure: boolean },
  ) {}

  /**
   * The rules the fields given break, one message each (a field left out is not checked): for a caller that
   * reports them beside its own findings about the request's shape.
   */
  problemsOf(fields: RegisterWebhookEndpointCommand): FieldError[] {
    return [
      ...('url' in fields ? problems(() => checkWebhookUrl(fields.url, this.options.allowInsecure)) : []),
      ...('events' in fields ? problems(() => checkWebhookEvents(fields.events)) : []),
      ...('description' in fields ? problems(() => checkWebhookDescription(fields.description)) : []),
    ];
  }

  /**
   * @throws ValidationError naming every bad field, or `url` when its host resolves to an address that may not
   *   be called; WebhookEndpointsFullError when WEBHOOK_ENDPOINTS_MAX are registered already
   */
  async execute(command: RegisterWebhookEndpointCommand): Promise<RegisteredWebhookEndpoint> {
    const registration = this.check(command);
    await this.addressCheck.check(registration.url);
    // Checked before adding, not atomically: two registrations at the same moment may end one above the limit.
    if ((await this.endpoints.list()).length >= WEBHOOK_ENDPOINTS_MAX) throw new WebhookEndpointsFullError();
    const endpoint: WebhookEndpoint = { id: newWebhookEndpointId(this.random), ...registration, enabled: true, createdAt: this.clock.now() };
    const secret = newWebhookSecret(this.random);
    await this.endpoints.add(endpoint, secret);
    // The origin only: a URL's path or query may carry the receiver's own token.
    this.logger.info('webhook endpoint registered', { endpointId: endpoint.id, origin: new URL(endpoint.url).origin, events: endpoint.events });
    return { endpoint, secret };
  }

  private check(command: RegisterWebhookEndpointCommand): CheckedRegistration {
    const found: FieldError[] = [];
    const url = collect(found, () => checkWebhookUrl(command.url, this.options.allowInsecure));
    const events = collect(found, () => checkWebhookEvents(command.events));
    const description = collect(found, () => checkWebhookDescription(command.description));
    if (url === undefined || events === undefined || found.length > 0) throw new ValidationError(found);
    return { url, events, ...(description === undefined ? {} : { description }) };
  }
}

/** The value `check` returns, or undefined with its problems added to `found`. */
function collect<T>(found: FieldError[], check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    found.push(...error.details);
    return undefined;
  }
}

function problems(check: () => unknown): FieldError[] {
  const found: FieldError[] = [];
  collect(found, check);
  return found;
}
