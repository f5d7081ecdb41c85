import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { OrderCreated } from '../../domain/order-created.js';
import { ORDER_CREATED_SCHEMA_VERSION } from '../../domain/order-created.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** The published JSON Schema of the event (schemas/order-created.v1.json), the one both sides check against. */
export const orderCreatedSchema: object = JSON.parse(readFileSync(new URL('../../../schemas/order-created.v1.json', import.meta.url), 'utf8'));

const ajv = new Ajv2020({ allErrors: true });
addFormats(ajv, ['uuid', 'email', 'date-time']);
const validate = ajv.compile<OrderCreated>(orderCreatedSchema);

export type Decoded = { ok: true; event: OrderCreated } | { ok: false; reason: string };

/** Turns a Kafka message into an `order-created` v1 event, or says why it is poison. */
export function decodeOrderCreated(value: Buffer | null, headers: Readonly<Record<string, string>>): Decoded {
  const version = headers['schema-version'] ?? String(ORDER_CREATED_SCHEMA_VERSION);
  if (version !== String(ORDER_CREATED_SCHEMA_VERSION)) return { ok: false, reason: `unknown schema-version ${JSON.stringify(version)}` };
  if (value === null) return { ok: false, reason: 'empty message (tombstone)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'value is not JSON' };
  }
  if (!validate(parsed)) return { ok: false, reason: `fails order-created v1 schema: ${ajv.errorsText(validate.errors)}` };
  return { ok: true, event: parsed };
}
