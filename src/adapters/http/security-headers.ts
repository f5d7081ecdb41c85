import type Koa from 'koa';
import { forwardedByTrustedProxy } from './request-trust.js';

/** For responses that are not a page (JSON, metrics): nothing may load or frame them. */
const NO_CONTENT_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** Headers every response carries; an HTML page replaces the policy with its own through htmlPolicy(). */
export function securityHeaders(): Koa.Middleware {
  return async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Content-Security-Policy', NO_CONTENT_POLICY);
    await next();
  };
}

/** The policy of an HTML page (X-Frame-Options: DENY is already set): its sources, never framed, no <base> or form targets. */
export function htmlPolicy(ctx: Koa.Context, sources: string): void {
  ctx.set('Content-Security-Policy', `default-src 'none'; ${sources}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
}

/** Whether the client reached us over HTTPS; X-Forwarded-Proto counts only when set by one of our trusted proxies. */
export function cameOverHttps(ctx: Koa.Context, trustedProxyCount: number): boolean {
  if (ctx.req.socket && 'encrypted' in ctx.req.socket && ctx.req.socket.encrypted) return true;
  return forwardedByTrustedProxy(ctx.get('X-Forwarded-Proto'), trustedProxyCount)?.toLowerCase() === 'https';
}

/** The origin the client addressed, as a browser would write it in an Origin header. */
export function ownOrigin(ctx: Koa.Context, trustedProxyCount: number): string {
  return `${cameOverHttps(ctx, trustedProxyCount) ? 'https' : 'http'}://${ctx.get('host')}`;
}
