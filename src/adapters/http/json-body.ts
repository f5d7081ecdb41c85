import type Koa from 'koa';
import getRawBody from 'raw-body';
import { HttpError } from './http-error.js';

export const MAX_BODY_BYTES = 64 * 1024;
export const NOT_JSON_MESSAGE = 'Content-Type must be application/json';
export const NOT_UTF8_MESSAGE = 'The body must be UTF-8: declare charset=utf-8 or no charset';

/** Reads a JSON request body into `ctx.state.body`: 415 for other media types and charsets, 413 past the limit, 400 when malformed. */
export function jsonBody(): Koa.Middleware {
  return async (ctx, next) => {
    if (!ctx.request.is('application/json', '+json')) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', NOT_JSON_MESSAGE);
    // Read as UTF-8 (JSON's only encoding), a latin1 or UTF-16 body would be silently misread.
    if (!['', 'utf-8', 'utf8'].includes(declaredCharset(ctx.get('content-type')))) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', NOT_UTF8_MESSAGE);
    const declared = Number(ctx.get('content-length') || 0);
    if (declared > MAX_BODY_BYTES) throw tooLarge();
    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit: MAX_BODY_BYTES, encoding: 'utf-8', length: ctx.get('content-length') || undefined });
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type === 'entity.too.large') throw tooLarge();
      if (type === 'encoding.unsupported') throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', NOT_UTF8_MESSAGE);
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

/** The charset parameter of a Content-Type, unquoted and lower-cased; '' when there is none. */
function declaredCharset(contentType: string): string {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  return (match?.[1] ?? match?.[2] ?? '').trim().toLowerCase();
}
