import { isDeadEvent, type DeadLetter, type DeadLetters } from '../../application/ports/dead-letters.js';
import { keyOf } from '../../domain/notification.js';
import { SURROGATE_CLASS } from '../../domain/text-rules.js';
import { translate } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';

/**
 * Dead letters in a table, where there is no Kafka (the single-process mode): a decoded event as JSON (type,
 * version, aggregateId, payload, metadata) with the key of the notification it is about (its endpoint too, for a
 * webhook delivery); an unreadable message as its bytes.
 */
export class PgDeadLetters implements DeadLetters {
  constructor(private readonly database: SqlDatabase) {}

  async publish(letter: DeadLetter): Promise<void> {
    const row = isDeadEvent(letter)
      ? {
          key: letter.event.aggregateId,
          value: null,
          headers: {},
          event: JSON.stringify({ ...letter.event, metadata: letter.metadata }),
          notification: letter.notification ? JSON.stringify(keyOf(letter.notification)) : null,
        }
      : { ...letter.message, event: null, notification: null };
    try {
      await this.database.query(
        `INSERT INTO dead_letters (key, value, headers, event, notification, kind, reason, attempts, first_failed_at, last_failed_at, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          storable(row.key),
          row.value,
          JSON.stringify(Object.fromEntries(Object.entries(row.headers).map(([name, text]) => [storable(name), storable(text)]))),
          // JSON.stringify escapes U+0000 and lone surrogates, which the json column takes as they are.
          row.event,
          row.notification,
          letter.kind,
          storable(letter.reason),
          letter.attempts,
          letter.firstFailedAt,
          letter.lastFailedAt,
          letter.source ? JSON.stringify(letter.source) : null,
        ],
      );
    } catch (error) {
      throw translate(error);
    }
  }
}

/** PostgreSQL's text and jsonb refuse NUL and unpaired surrogates: a dead letter must be storable whatever it carries. */
const UNSTORABLE = new RegExp(`[\\u0000${SURROGATE_CLASS}]`, 'gu');

function storable<T extends string | null>(text: T): T {
  return (text === null ? null : text.replace(UNSTORABLE, '\ufffd')) as T;
}
