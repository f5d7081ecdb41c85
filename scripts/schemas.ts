// Writes schemas/order-created.v1.json from the codec's own schema: `npm run schemas`. A test fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { orderCreatedSchema } from '../src/adapters/kafka/order-created-schema.js';

writeFileSync(new URL('../schemas/order-created.v1.json', import.meta.url), `${JSON.stringify(orderCreatedSchema, null, 2)}\n`);
