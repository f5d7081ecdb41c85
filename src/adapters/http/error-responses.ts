import type Koa from 'koa';
import { DomainError, InvalidTransitionError, OrderDuplicateError, ValidationError } from '../../domain/errors.js';
import { DataRejectedError, DependencyUnavailableError } from '../../application/errors.js';
import { HttpError } from './http-error.js';
import { orderResource } from './order-resource.js';

/** The single table from error codes to HTTP statuses. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  VALIDATION_FAILED: 400,
  ORDER_NOT_FOUND: 404,
  ORDER_DUPLICATE: 409,
  INVALID_TRANSITION: 409,
  CONCURRENT_CHANGE: 409,
  WEBHOOK_ENDPOINT_NOT_FOUND: 404,
  WEBHOOK_ENDPOINTS_FULL: 409,
  /** The admin's email preview: a template failed on the sample order. */
  EMAIL_RENDER_FAILED: 422,
  SERVICE_UNAVAILABLE: 503,
};

interface ErrorBody {
  success: false;
  error: { code: string; message: string; details?: unknown; correlationId?: string; outcome?: 'unknown'; currentStatus?: string };
  data?: unknown;
}

/** Answers every failure as JSON in one shape; only the unexpected is a 500, logged with its cause. */
export function errorResponses(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.body === undefined) {
        if (ctx.status === 404) throw new HttpError(404, 'NOT_FOUND', `No route for ${ctx.method} ${ctx.path}`);
        if (ctx.status === 405 || ctx.status === 501) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}`);
      }
    } catch (error) {
      const { status, body } = describe(error, ctx);
      ctx.status = status;
      ctx.body = body;
      // For the access log line: what was wrong, never the values sent.
      ctx.state.rejection = {
        error: body.error.code,
        ...(error instanceof ValidationError ? { fields: error.details.map((d) => d.field) } : {}),
      };
      if (status === 503) ctx.set('Retry-After', '5');
      if (error instanceof HttpError) ctx.set(error.headers);
      if (status >= 500) ctx.state.log?.error('request failed', { status, code: body.error.code, error: describeCause(error) });
    }
  };
}

function describe(error: unknown, ctx: Koa.Context): { status: number; body: ErrorBody } {
  // The database refusing what passed our validation is our bug, not the caller's: the generic 500 below.
  if (error instanceof DomainError && !(error instanceof DataRejectedError)) {
    const body: ErrorBody = { success: false, error: { code: error.code, message: error.message } };
    if (error instanceof ValidationError) body.error.details = error.details;
    if (error instanceof OrderDuplicateError && error.existing) body.data = orderResource(error.existing);
    if (error instanceof InvalidTransitionError) body.error.currentStatus = error.currentStatus;
    if (STATUS_BY_CODE[error.code] === 503) body.error.correlationId = ctx.state.correlationId;
    if (error instanceof DependencyUnavailableError && error.outcomeUnknown) {
      body.error.outcome = 'unknown';
      body.error.message = `${error.message}: retry the same request (a 409 carrying the order means it was)`;
    }
    return { status: STATUS_BY_CODE[error.code] ?? 500, body };
  }
  if (error instanceof HttpError) return { status: error.status, body: { success: false, error: { code: error.code, message: error.message } } };
  return {
    status: 500,
    body: {
      success: false,
      error: { code: 'INTERNAL', message: 'Unexpected error; quote the correlationId when reporting it', correlationId: ctx.state.correlationId },
    },
  };
}

function describeCause(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
