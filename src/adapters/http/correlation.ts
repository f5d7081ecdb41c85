import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import { CORRELATION_ID_PATTERN } from '../../application/correlation-id.js';
import type { Logger } from '../../application/ports/logger.js';

export const CORRELATION_HEADER = 'X-Correlation-Id';
// Only ids that are safe to echo in a header and a log line are taken over; others are replaced.
const SAFE_ID = new RegExp(CORRELATION_ID_PATTERN);

/** Gives every request a correlation id (the caller's, or a new one), a logger carrying it, and an access log line. */
export function correlation(logger: Logger, accessLogLevel: 'debug' | 'info' = 'info'): Koa.Middleware {
  return async (ctx, next) => {
    const offered = ctx.get(CORRELATION_HEADER) || ctx.get('X-Request-Id');
    const correlationId = SAFE_ID.test(offered) ? offered : randomUUID();
    ctx.state.correlationId = correlationId;
    ctx.state.log = logger.child({ correlationId });
    ctx.set(CORRELATION_HEADER, correlationId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const level = ctx.status >= 500 ? 'error' : accessLogLevel;
      (ctx.state.log as Logger)[level]('http request', {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        durationMs: Math.round(durationMs * 10) / 10,
        ...(ctx.state.orderId ? { orderId: ctx.state.orderId } : {}),
        ...(ctx.state.caller?.kind === 'key' ? { apiKeyId: ctx.state.caller.id } : {}),
        ...(ctx.state.rejection ?? {}),
      });
    }
  };
}
