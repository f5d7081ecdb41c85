import { ValidationError, type FieldError } from './errors.js';
import { atMostCharactersMessage, characterCount, PLAIN_TEXT_RULE, plainTextProblems } from './text-rules.js';

/** Where an order stands: every order starts `created`. */
export const ORDER_STATUSES = ['created', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** The statuses a change can move an order to: all but the first. */
export const TARGET_STATUSES = ['shipped', 'delivered', 'cancelled'] as const satisfies readonly OrderStatus[];
export type TargetStatus = (typeof TARGET_STATUSES)[number];

export function isTargetStatus(status: string): status is TargetStatus {
  return (TARGET_STATUSES as readonly string[]).includes(status);
}

/** The rule: which status may follow which. `created → shipped → delivered`, `created | shipped → cancelled`; the last two are final. */
export const ORDER_TRANSITIONS = {
  created: ['shipped', 'cancelled'],
  shipped: ['delivered', 'cancelled'],
  delivered: [],
  cancelled: [],
} as const satisfies { readonly [S in OrderStatus]: readonly TargetStatus[] };

/** A status an order can still leave: the `previousStatus` of every change. */
export type ChangeableStatus = { [S in OrderStatus]: (typeof ORDER_TRANSITIONS)[S] extends readonly [] ? never : S }[OrderStatus];
export const CHANGEABLE_STATUSES = ORDER_STATUSES.filter((status): status is ChangeableStatus => ORDER_TRANSITIONS[status].length > 0);

/**
 * What asking for `to` means for an order in `from`: `same` (nothing to do, no event), `allowed`, or
 * `invalid` (INVALID_TRANSITION).
 */
export function transition(from: OrderStatus, to: OrderStatus): 'same' | 'allowed' | 'invalid' {
  if (from === to) return 'same';
  return (ORDER_TRANSITIONS[from] as readonly OrderStatus[]).includes(to) ? 'allowed' : 'invalid';
}

export const STATUS_CHANGE_LIMITS = {
  noteMaxLength: 500,
  carrierMaxLength: 100,
  trackingUrlMaxLength: 2048,
} as const;

// An https URL with a host name of dotted labels (punycode for others), an optional port, then only the
// characters RFC 3986 allows (anything else percent-encoded): no user info, no spaces, quotes or angle
// brackets to break out of an email's HTML or a header.
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const TRACKING_URL_PATTERN = `^https://${LABEL}(?:\\.${LABEL})+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9._~:/?#\\[\\]@!$&'()*+,;=%-]*)?$`;

/**
 * The rules of a status change as JSON Schema patterns (ECMAScript, u flag) with their messages: the domain
 * checks with them, and the request schema and the event schema are built from them.
 */
export const STATUS_CHANGE_RULES = {
  /** note and carrier. */
  text: PLAIN_TEXT_RULE,
  trackingUrl: { pattern: TRACKING_URL_PATTERN, message: 'must be an https:// URL with a host name, without spaces or quotes' },
} as const;

const TRACKING_URL = new RegExp(TRACKING_URL_PATTERN, 'u');

/** What a caller asks for: the new status, and what the customer is told about it; unchecked. */
export interface StatusChangeRequest {
  readonly status: string;
  readonly note?: string;
  readonly trackingUrl?: string;
  readonly carrier?: string;
}

/** A request that breaks no rule, its texts trimmed. */
export interface ValidStatusChangeRequest extends StatusChangeRequest {
  readonly status: TargetStatus;
}

/** An accepted change, as the order's history keeps it and its `order.status-changed` event tells it. */
export interface StatusChange {
  /** A UUID: also the id of its event. */
  readonly id: string;
  readonly status: TargetStatus;
  readonly previousStatus: ChangeableStatus;
  /** The order's version after the change: created = 1, first change = 2, ... */
  readonly sequence: number;
  readonly changedAt: Date;
  readonly note?: string;
  readonly trackingUrl?: string;
  readonly carrier?: string;
}

function trackingUrlProblems(url: string): FieldError[] {
  // The length first: the pattern is never run on a text too long to be a tracking URL.
  if (characterCount(url) > STATUS_CHANGE_LIMITS.trackingUrlMaxLength) return [{ field: 'trackingUrl', message: atMostCharactersMessage(STATUS_CHANGE_LIMITS.trackingUrlMaxLength) }];
  return TRACKING_URL.test(url) ? [] : [{ field: 'trackingUrl', message: STATUS_CHANGE_RULES.trackingUrl.message }];
}

/**
 * Every rule the given fields of a status change break, on their trimmed texts, one message per rule, as
 * every adapter reports it. A field left out breaks none: whether it may be is the caller's shape.
 */
export function checkStatusChange(change: Partial<StatusChangeRequest>): FieldError[] {
  const problems: FieldError[] = [];
  if (change.status !== undefined && !isTargetStatus(change.status)) problems.push({ field: 'status', message: `must be one of ${TARGET_STATUSES.join(', ')}` });
  if (change.note !== undefined) problems.push(...plainTextProblems('note', change.note.trim(), STATUS_CHANGE_LIMITS.noteMaxLength));
  if (change.trackingUrl !== undefined) problems.push(...trackingUrlProblems(change.trackingUrl.trim()));
  if (change.carrier !== undefined) problems.push(...plainTextProblems('carrier', change.carrier.trim(), STATUS_CHANGE_LIMITS.carrierMaxLength));
  return problems;
}

/**
 * The request as an order records it, its texts trimmed; whether its status may follow the order's is the order's call.
 * @throws ValidationError naming every rule it breaks
 */
export function validStatusChange(request: StatusChangeRequest): ValidStatusChangeRequest {
  const change = {
    status: request.status,
    ...(request.note === undefined ? {} : { note: request.note.trim() }),
    ...(request.trackingUrl === undefined ? {} : { trackingUrl: request.trackingUrl.trim() }),
    ...(request.carrier === undefined ? {} : { carrier: request.carrier.trim() }),
  };
  const problems = checkStatusChange(change);
  const { status } = change;
  if (problems.length === 0 && isTargetStatus(status)) return { ...change, status };
  throw new ValidationError(problems);
}
