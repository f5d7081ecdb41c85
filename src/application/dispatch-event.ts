import { kindKey, type DomainEvent } from '../domain/domain-event.js';
import { DomainError } from '../domain/errors.js';
import { DependencyUnavailableError } from './errors.js';
import type { RawMessage } from './ports/dead-letters.js';
import type { Logger } from './ports/logger.js';
import type { EventSource } from './ports/notification-ledger.js';
import type { EventMetadata } from './ports/outbox.js';
import type { Delivery, Reaction } from './reaction.js';
import type { RejectPoison } from './reject-poison.js';

/** A message as its adapter read it: a domain event with its metadata, or why it is poison. */
export type DecodedMessage = DecodedEvent | { readonly ok: false; readonly reason: string };

export interface DecodedEvent {
  readonly ok: true;
  readonly event: DomainEvent;
  readonly metadata: EventMetadata;
  /** Why a piece of metadata was ignored rather than trusted. */
  readonly ignored?: string;
}

/**
 * A message as it reached this process, and where from: a decoded event, or the bytes of one that could not
 * be decoded and why (what its dead letter keeps, since there is no event).
 */
export type ReceivedMessage = (DecodedEvent | { readonly ok: false; readonly reason: string; readonly message: RawMessage }) & { readonly source?: EventSource };

/**
 * Hands each incoming event to the reaction for its type and version, from a table: the consumer and the
 * in-process channel know this table, never a use case. Whatever keeps an event from being handled, other
 * than a dependency that is away, makes it poison: an unknown type or version (a newer producer), a value
 * the database refuses, a bug. It is dead-lettered with its reason, so the messages behind it go on.
 */
export class DispatchEvent {
  private readonly table = new Map<string, Reaction>();

  constructor(
    reactions: readonly Reaction[],
    private readonly rejectPoison: RejectPoison,
    private readonly logger: Logger,
  ) {
    for (const reaction of reactions) {
      if (this.table.has(kindKey(reaction.handles))) throw new Error(`two reactions to ${kindKey(reaction.handles)}: one reaction per event kind`);
      this.table.set(kindKey(reaction.handles), reaction);
    }
  }

  /** @throws DependencyUnavailableError only: the message is to be handled again, in place. */
  async execute(received: ReceivedMessage): Promise<void> {
    const { source } = received;
    if (!received.ok) {
      await this.rejectPoison.execute({ message: received.message, reason: received.reason, ...(source ? { source } : {}) });
      return;
    }
    const reason = await this.failureToHandle(received, source);
    if (reason !== undefined) await this.rejectPoison.execute({ event: received.event, metadata: received.metadata, reason, ...(source ? { source } : {}) });
  }

  /** Why a decoded event could not be handled, or undefined once it was. */
  private async failureToHandle(decoded: DecodedEvent, source: Delivery['source']): Promise<string | undefined> {
    const { event, metadata, ignored } = decoded;
    const reaction = this.table.get(kindKey(event));
    if (!reaction) return `unknown event: no reaction here handles ${event.type} version ${event.version}`;
    const { correlationId } = metadata;
    // Every aggregate of this service is an order: its id is what operators search the logs for.
    const log = this.logger.child({ orderId: event.aggregateId, ...(correlationId ? { correlationId } : {}) });
    if (ignored !== undefined) log.warn('correlation-id header ignored: the order is handled without it', { reason: ignored });
    try {
      await reaction.react(event, { ...(source ? { source } : {}), ...(correlationId ? { correlationId } : {}) });
      return undefined;
    } catch (error) {
      if (error instanceof DependencyUnavailableError) throw error;
      return describeRefusal(error, event.type, log);
    }
  }
}

/** A refusal with a code (the database's) is the message's; anything else is a bug, said out loud. */
export function describeRefusal(error: unknown, eventType: string, log: Logger): string {
  if (error instanceof DomainError) {
    const { cause } = error as { cause?: unknown };
    log.warn('event refused', { eventType, code: error.code, reason: error.message, ...(cause instanceof Error ? { cause: cause.message } : {}) });
    return error.message;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  log.error(`unexpected failure while handling an ${eventType} event: a bug`, { alert: true, error: error instanceof Error ? (error.stack ?? message) : message });
  return `unexpected failure: ${message}`;
}
