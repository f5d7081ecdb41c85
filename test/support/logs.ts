import { Writable } from 'node:stream';
import type { Logger } from '../../src/application/ports/logger.js';
import { createLogger } from '../../src/bootstrap/logger.js';

/** A real logger whose lines are kept for assertions instead of printed. */
export function capturingLogger(role = 'test'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', service: 'ordermail', role, stream }), lines };
}

export function silentLogger(): Logger {
  return capturingLogger().logger;
}
