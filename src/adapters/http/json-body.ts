import type Koa from 'koa';
import getRawBody from 'raw-body';
import { HttpError } from './http-error.js';

export const MAX_BODY_BYTES = 64 * 1024;

/** Reads a JSON request body into `ctx.state.body`: 415 for other media types, 413 past the limit, 400 when malformed. */
export function jsonBody(): Koa.Middleware {
  return async (ctx, next) => {
    if (!ctx.request.is('application/json', '+json'))
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    const declared = Number(ctx.get('content-length') || 0);
    if (declared > MAX_BODY_BYTES) throw tooLarge();
    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit: MAX_BODY_BYTES, encoding: 'utf-8', length: ctx.get('content-length') || undefined });
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type === 'entity.too.large') throw tooLarge();
      if (type === 'encoding.unsupported') throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'The body must be UTF-8');
      throw new HttpError(400, 'INVALID_JSON', 'The request body could not be read completely');
    }
    try {
      ctx.state.body = JSON.parse(text) as unknown;
    } catch {
      throw new HttpError(400, 'INVALID_JSON', text.trim() === '' ? 'The request body is empty; send a JSON object' : 'The request body is not valid JSON');
    }
    return next();
  };
}

function tooLarge(): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `The request body must be at most ${MAX_BODY_BYTES} bytes`);
}
