import { scryptSync } from 'node:crypto';
import { isIP } from 'node:net';
import type Koa from 'koa';
import type { RateLimiter } from '../../application/ports/rate-limiter.js';
import { HttpError } from './http-error.js';
import { bearerToken, forwardedByTrustedProxy, SecretDigest } from './request-trust.js';

/** Who made a request, as `ctx.state.caller`: a key's id (never the key) or nobody known. */
export type Caller = { readonly kind: 'key'; readonly id: string } | { readonly kind: 'anonymous' };

/**
 * A key's short, non-secret name for logs and rate limits, the same in every process: 8 hex digits of its
 * scrypt hash. A fast hash would let whoever reads the logs test guessed keys offline by the million.
 */
export const apiKeyId = (key: string): string => scryptSync(key, 'ordermail api key id', 4).toString('hex');

/** The API keys (API_KEYS), kept as SHA-256 digests: every comparison is between equal lengths, in constant time. */
export class ApiKeys {
  private readonly keys: readonly { readonly secret: SecretDigest; readonly id: string }[];

  constructor(keys: readonly string[]) {
    this.keys = keys.map((key) => ({ secret: new SecretDigest(key), id: apiKeyId(key) }));
  }

  /** The id of the key `presented` is, or undefined; compares with every key, whichever matches. */
  match(presented: string): string | undefined {
    let id: string | undefined;
    for (const key of this.keys) if (key.secret.matches(presented)) id ??= key.id;
    return id;
  }
}

/** Sets `ctx.state.caller` on every request: a key's id when the Authorization header carries one of `keys`. */
export function identifyCaller(keys: ApiKeys | undefined): Koa.Middleware {
  return (ctx, next) => {
    const presented = bearerToken(ctx.get('authorization'));
    const id = keys && presented !== undefined ? keys.match(presented) : undefined;
    ctx.state.caller = (id === undefined ? { kind: 'anonymous' } : { kind: 'key', id }) satisfies Caller;
    return next();
  };
}

/** 401 (with WWW-Authenticate) unless the caller presented one of the keys; lets everyone through when there are none. */
export function requireApiKey(keys: ApiKeys | undefined): Koa.Middleware {
  return (ctx, next) => {
    if (!keys || (ctx.state.caller as Caller).kind === 'key') return next();
    const presented = bearerToken(ctx.get('authorization')) !== undefined;
    throw new HttpError(
      401,
      'UNAUTHORIZED',
      presented ? 'The API key is not valid' : 'An API key is required: send Authorization: Bearer <key>',
      { 'WWW-Authenticate': presented ? 'Bearer realm="ordermail", error="invalid_token"' : 'Bearer realm="ordermail"' },
    );
  };
}

/** 429 (with Retry-After) once the caller's bucket is empty: a key's id, or the client's address. */
export function limitRate(limiter: RateLimiter | undefined, trustedProxyCount: number): Koa.Middleware {
  return async (ctx, next) => {
    if (!limiter) return next();
    const caller = ctx.state.caller as Caller;
    const client = caller.kind === 'key' ? `key:${caller.id}` : `ip:${clientAddress(ctx.req.socket.remoteAddress, ctx.get('x-forwarded-for'), trustedProxyCount)}`;
    const decision = await limiter.take(client);
    if (!decision.allowed) {
      const seconds = String(decision.retryAfterSeconds);
      throw new HttpError(429, 'RATE_LIMITED', `Too many requests from this client: retry in ${seconds} s`, { 'Retry-After': seconds });
    }
    return next();
  };
}

/**
 * The client's address: the socket's, or behind `trustedProxyCount` proxies that each append to
 * X-Forwarded-For, the entry the outermost one wrote (n-th from the right); anything a client could
 * have written further left is ignored.
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string, trustedProxyCount: number): string {
  const forwarded = forwardedByTrustedProxy(forwardedFor, trustedProxyCount);
  const address = forwarded !== undefined && isIP(forwarded) ? forwarded : (socketAddress ?? 'unknown');
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
