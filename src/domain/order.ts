import { RecordedEvents, type DomainEvent } from './domain-event.js';
import { InvalidTransitionError, ValidationError, type FieldError } from './errors.js';
import { canonicalLocale, localeProblems } from './locale.js';
import { orderCreatedEvent } from './order-created.js';
import { orderStatusChangedEvent } from './order-status-changed.js';
import { transition, validStatusChange, type ChangeableStatus, type OrderStatus, type StatusChange, type StatusChangeRequest } from './order-status.js';
import { atMostCharactersMessage, characterCount, PLAIN_TEXT_RULE, plainTextProblems } from './text-rules.js';

export const ORDER_LIMITS = {
  orderIdMaxLength: 128,
  itemIdMaxLength: 128,
  minItems: 1,
  maxItems: 100,
  emailMaxLength: 254,
} as const;

// JSON Schema's `email` format as the event schema asserts it (ajv-formats' reading, in ASCII): dot-separated
// atoms, an @, then host name labels with at least one dot. The API must never accept an address its event
// could not carry; the SMTP server has the last word.
const EMAIL_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const EMAIL_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const EMAIL_PATTERN = `^${EMAIL_ATOM}(?:\\.${EMAIL_ATOM})*@(?:${EMAIL_LABEL}\\.)+${EMAIL_LABEL}$`;

/**
 * The order's rules as JSON Schema patterns (ECMAScript, u flag) with their messages: the domain checks
 * with them, and the request schema and the event schema are built from them.
 */
export const ORDER_RULES = {
  /** orderId and every itemId. */
  text: PLAIN_TEXT_RULE,
  email: { pattern: EMAIL_PATTERN, message: 'must be a valid email address' },
  /** What the order's internal id looks like: a UUID in its one canonical form, 8-4-4-4-12 hex digits. */
  internalId: { pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', message: 'must be a UUID (8-4-4-4-12 hex digits)' },
} as const;

const EMAIL = new RegExp(ORDER_RULES.email.pattern, 'u');

function orderIdProblems(raw: string): FieldError[] {
  return plainTextProblems('orderId', raw.trim(), ORDER_LIMITS.orderIdMaxLength);
}

function itemIdsProblems(itemIds: readonly string[]): FieldError[] {
  const problems: FieldError[] = [];
  if (itemIds.length < ORDER_LIMITS.minItems || itemIds.length > ORDER_LIMITS.maxItems)
    problems.push({ field: 'itemId', message: `must hold ${ORDER_LIMITS.minItems} to ${ORDER_LIMITS.maxItems} items` });
  itemIds.forEach((item, index) => problems.push(...plainTextProblems(`itemId[${index}]`, item, ORDER_LIMITS.itemIdMaxLength)));
  return problems;
}

function emailProblems(raw: string): FieldError[] {
  const email = raw.trim();
  // The length first: the pattern is never run on a text too long to be an address.
  if (characterCount(email) > ORDER_LIMITS.emailMaxLength) return [{ field: 'email', message: atMostCharactersMessage(ORDER_LIMITS.emailMaxLength) }];
  return EMAIL.test(email) ? [] : [{ field: 'email', message: ORDER_RULES.email.message }];
}

export interface OrderProps {
  readonly internalId: string;
  readonly orderId: string;
  readonly itemIds: readonly string[];
  readonly email?: string;
  /** The customer's language, canonical BCP 47 (de-DE); absent = the shop's DEFAULT_LOCALE. */
  readonly locale?: string;
  readonly createdAt: Date;
  /** `created` when absent. */
  readonly status?: OrderStatus;
  /** Starts at 1 and grows by one with each accepted status change; 1 when absent. */
  readonly version?: number;
}

/** What asking an order for a status did: a change it recorded, with its event, or nothing (it has that status already). */
export type StatusChangeOutcome = { readonly changed: true; readonly change: StatusChange } | { readonly changed: false };

export interface NewOrder {
  readonly orderId: string;
  readonly itemIds: readonly string[];
  readonly email?: string;
  /** A BCP 47 tag, in any case (de-de); stored canonical (de-DE). */
  readonly locale?: string;
}

/**
 * An accepted order. Its fields never change, only its status, along the allowed transitions; its
 * invariants hold whichever adapter created it.
 */
export class Order {
  private readonly events = new RecordedEvents();
  private currentStatus: OrderStatus;
  private currentVersion: number;

  private constructor(private readonly props: OrderProps) {
    this.currentStatus = props.status ?? 'created';
    this.currentVersion = props.version ?? 1;
  }

  static create(input: NewOrder, internalId: string, createdAt: Date): Order {
    const problems = Order.check(input);
    if (problems.length > 0) throw new ValidationError(problems);
    const order = new Order({
      internalId,
      orderId: input.orderId.trim(),
      itemIds: [...input.itemIds],
      ...(input.email === undefined ? {} : { email: input.email.trim() }),
      ...(input.locale === undefined ? {} : { locale: canonicalLocale(input.locale.trim()) as string }),
      createdAt,
    });
    order.events.record(orderCreatedEvent(order));
    return order;
  }

  /** Rebuilds an order that was valid when it was stored, with its status and version; it records no event. */
  static restore(props: OrderProps): Order {
    return new Order({ ...props, itemIds: [...props.itemIds] });
  }

  /** Everything restore() needs to rebuild this order as it is now. */
  snapshot(): Required<Omit<OrderProps, 'email' | 'locale'>> & Pick<OrderProps, 'email' | 'locale'> {
    return { ...this.props, itemIds: [...this.props.itemIds], status: this.currentStatus, version: this.currentVersion };
  }

  /**
   * Moves the order to `request.status` when the transition rule allows it: records `order.status-changed`
   * and bumps the version. Asking for the status it has changes nothing and records nothing (a retried
   * request is harmless), whatever the note says.
   * @throws ValidationError when a field breaks a rule; InvalidTransitionError naming the current status
   */
  changeStatus(request: StatusChangeRequest, id: string, at: Date): StatusChangeOutcome {
    const change = validStatusChange(request);
    const verdict = transition(this.currentStatus, change.status);
    if (verdict === 'same') return { changed: false };
    if (verdict === 'invalid') throw new InvalidTransitionError(this.orderId, this.currentStatus, change.status);
    const accepted: StatusChange = {
      id,
      ...change,
      // 'allowed' means the current status has a way out.
      previousStatus: this.currentStatus as ChangeableStatus,
      sequence: this.currentVersion + 1,
      changedAt: at,
    };
    this.currentStatus = accepted.status;
    this.currentVersion = accepted.sequence;
    this.events.record(orderStatusChangedEvent(this, accepted));
    return { changed: true, change: accepted };
  }

  /**
   * Every rule the given fields break, one message per rule, as every adapter reports it. A field left out
   * breaks none: whether it may be left out is the caller's shape (the HTTP adapter's schema).
   */
  static check(input: Partial<NewOrder>): FieldError[] {
    return [
      ...(input.orderId === undefined ? [] : orderIdProblems(input.orderId)),
      ...(input.itemIds === undefined ? [] : itemIdsProblems(input.itemIds)),
      ...(input.email === undefined ? [] : emailProblems(input.email)),
      ...(input.locale === undefined ? [] : localeProblems('locale', input.locale)),
    ];
  }

  /** Whether `orderId` could name an order at all; anything else is known to be absent without asking the store. */
  static isPossibleOrderId(orderId: string): boolean {
    return orderIdProblems(orderId).length === 0;
  }

  /** The events recorded since the order was created or last pulled, once each: `order.created` for a new order, `order.status-changed`. */
  pullEvents(): DomainEvent[] {
    return this.events.pull();
  }

  get internalId(): string {
    return this.props.internalId;
  }
  get orderId(): string {
    return this.props.orderId;
  }
  get itemIds(): readonly string[] {
    return this.props.itemIds;
  }
  get email(): string | undefined {
    return this.props.email;
  }
  /** Canonical BCP 47; undefined = the shop's default. */
  get locale(): string | undefined {
    return this.props.locale;
  }
  get createdAt(): Date {
    return this.props.createdAt;
  }
  get status(): OrderStatus {
    return this.currentStatus;
  }
  get version(): number {
    return this.currentVersion;
  }
}
