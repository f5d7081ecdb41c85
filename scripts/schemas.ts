// Writes schemas/*.json from the codecs' own schemas: `npm run schemas`. A test fails when a file is stale.
import { writeFileSync } from 'node:fs';
import { orderCreatedSchema } from '../src/adapters/kafka/order-created-schema.js';
import { orderStatusChangedSchema } from '../src/adapters/kafka/order-status-changed-schema.js';
import { webhookEventSchema } from '../src/application/templates/webhook-event-schema.js';

for (const [file, schema] of [
  ['order-created.v1.json', orderCreatedSchema],
  ['order-status-changed.v1.json', orderStatusChangedSchema],
  ['webhook-event.v1.json', webhookEventSchema],
] as const)
  writeFileSync(new URL(`../schemas/${file}`, import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
