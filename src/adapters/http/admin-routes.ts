import { timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import type Koa from 'koa';
import type { AdminOverview } from '../../application/admin-overview.js';
import type { ReplayDeadLetter } from '../../application/replay-dead-letter.js';
import { ADMIN_PAGE, inboxPage } from './admin-page.js';
import { HttpError } from './http-error.js';

export interface InboxView {
  messages(): readonly { id: number; receivedAt: Date; to: string[]; subject: string; messageId: string; text: string; html?: string }[];
}

export interface AdminDeps {
  /** Admin endpoints exist only when a token is configured, and then require it. */
  readonly token: string;
  readonly overview: AdminOverview;
  readonly replay: ReplayDeadLetter;
  readonly inbox?: InboxView;
}

const COOKIE = 'ordermail_admin';

/** GET /admin (page), GET /admin/api/overview, POST /admin/api/dead-letters/:orderId/replay, and /inbox in the single-process mode. */
export function mountAdminRoutes(router: Router, deps: AdminDeps): void {
  const authorised = adminAuth(deps.token);
  router.get('/admin', authorised, (ctx) => {
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    ctx.body = ADMIN_PAGE;
  });
  router.get('/admin/api/overview', authorised, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ...(await deps.overview.execute()), inbox: deps.inbox !== undefined };
  });
  // An id no order can have answers 404 (ORDER_NOT_FOUND), like GET /orders/{orderId}.
  router.post('/admin/api/dead-letters/:orderId/replay', authorised, async (ctx) => {
    const outcome = await deps.replay.forOrder(ctx.params.orderId ?? '');
    ctx.status = outcome === 'reset' ? 202 : 409;
    ctx.body = { success: outcome === 'reset', outcome };
  });
  const inbox = deps.inbox;
  if (inbox) {
    router.get('/inbox', authorised, (ctx) => {
      ctx.type = 'html';
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'");
      ctx.body = inboxPage(inbox.messages());
    });
    router.get('/inbox/api/messages', authorised, (ctx) => {
      ctx.body = inbox.messages();
    });
  }
}

/** Accepts `Authorization: Bearer <token>` or the cookie that `?token=<token>` sets (then redirects without it). */
function adminAuth(token: string): Koa.Middleware {
  const expected = Buffer.from(token);
  const matches = (offered: string | undefined): boolean => {
    const given = Buffer.from(offered ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  return async (ctx, next) => {
    const queryToken = typeof ctx.query.token === 'string' ? ctx.query.token : undefined;
    if (queryToken !== undefined && ctx.method === 'GET') {
      if (!matches(queryToken)) throw new HttpError(401, 'ADMIN_TOKEN_INVALID', 'The admin token is not valid');
      ctx.cookies.set(COOKIE, queryToken, { httpOnly: true, sameSite: 'strict', path: '/', overwrite: true });
      ctx.redirect(ctx.path);
      return;
    }
    const bearer = /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1];
    if (!matches(bearer ?? ctx.cookies.get(COOKIE))) throw new HttpError(401, 'ADMIN_TOKEN_REQUIRED', 'Admin endpoints need the ADMIN_TOKEN: open /admin?token=<ADMIN_TOKEN> or send Authorization: Bearer <ADMIN_TOKEN>');
    await next();
  };
}
