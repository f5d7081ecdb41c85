import { Writable } from 'node:stream';
import { createLogger } from '../../src/bootstrap/logger.js';
import { cpuPerOp } from './measure.js';

// The per-request access line: a child logger with the correlation id, then one info line (what correlation.ts does).
let bytes = 0;
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    bytes += chunk.length;
    done();
  },
});
const logger = createLogger({ level: 'info', service: 'ordermail', role: 'api', stream: sink });
const request = (i: number) => {
  const log = logger.child({ correlationId: `c0ffee00-0000-4000-8000-${String(i).padStart(12, '0')}` });
  log.info('http request', { method: 'POST', path: '/orders', status: 202, durationMs: 1.3, orderId: `order-${i}` });
};
await cpuPerOp('access line (child + info)', 50_000, (count) => {
  for (let i = 0; i < count; i++) request(i);
});
await cpuPerOp('debug line below the level (dropped)', 50_000, (count) => {
  for (let i = 0; i < count; i++) logger.debug('claimed', { orderId: `order-${i}` });
});
if (bytes === 0) throw new Error('nothing was written');
