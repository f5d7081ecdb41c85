import type Router from '@koa/router';
import type Koa from 'koa';
import type { AdminOverview } from '../../application/admin-overview.js';
import type { ReplayDeadLetter } from '../../application/replay-dead-letter.js';
import { ADMIN_SCRIPT, ADMIN_STYLES, adminPage, INBOX_STYLES, inboxPage } from './admin-page.js';
import { AdminSessions } from './admin-session.js';
import { HttpError } from './http-error.js';
import { cameOverHttps, htmlPolicy, ownOrigin } from './security-headers.js';
import { bearerToken } from './request-trust.js';

export interface InboxView {
  messages(): readonly { id: number; receivedAt: Date; to: string[]; subject: string; messageId: string; text: string; html?: string }[];
}

export interface AdminDeps {
  /** Admin endpoints exist only when a token is configured, and then require it. */
  readonly token: string;
  readonly overview: AdminOverview;
  readonly replay: ReplayDeadLetter;
  readonly inbox?: InboxView;
  /** TRUSTED_PROXY_COUNT: how many proxies in front of us set X-Forwarded-Proto (0: none is believed). */
  readonly trustedProxyCount?: number;
  /** Epoch milliseconds, for the session's expiry. */
  readonly now?: () => number;
}

export const ADMIN_COOKIE = 'ordermail_admin';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * GET /admin (page, with /admin/app.js and /admin/app.css), GET /admin/api/overview,
 * POST /admin/api/dead-letters/:orderId/replay, and /admin/inbox in the single-process mode.
 */
export function mountAdminRoutes(router: Router, deps: AdminDeps): void {
  const sessions = new AdminSessions(deps.token, deps.now);
  const authorised = adminAuth(sessions, deps.trustedProxyCount ?? 0);
  router.get('/admin', authorised, (ctx) => {
    htmlPolicy(ctx, "script-src 'self'; style-src 'self'; connect-src 'self'");
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    const session = (ctx.state.admin as AdminCaller).session;
    ctx.body = adminPage(session === undefined ? '' : sessions.csrfToken(session));
  });
  router.get('/admin/app.js', authorised, asset('application/javascript', ADMIN_SCRIPT));
  router.get('/admin/app.css', authorised, asset('text/css', ADMIN_STYLES));
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
    router.get('/admin/inbox', authorised, (ctx) => {
      // The emails' HTML is shown in sandboxed srcdoc frames, which inherit this policy, and email HTML styles inline.
      htmlPolicy(ctx, "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-src 'self'");
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'html';
      ctx.body = inboxPage(inbox.messages());
    });
    router.get('/admin/inbox.css', authorised, asset('text/css', INBOX_STYLES));
    router.get('/admin/inbox/api/messages', authorised, (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = inbox.messages();
    });
    // The inbox's former address: the session cookie is scoped to /admin.
    router.get(['/inbox', '/inbox/api/messages'], (ctx) => {
      ctx.redirect(`/admin${ctx.path}${ctx.search}`);
    });
  }
}

interface AdminCaller {
  readonly via: 'bearer' | 'session';
  readonly session?: string;
}

function asset(type: string, body: string): Koa.Middleware {
  return (ctx) => {
    ctx.type = type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = body;
  };
}

/**
 * Scripts send `Authorization: Bearer <ADMIN_TOKEN>`; browsers open `?token=<ADMIN_TOKEN>` once, which is exchanged
 * for a signed session cookie (then redirected without it). A state-changing request on a session must come from
 * our own origin and carry the session's CSRF token: a cookie is ambient, a bearer token is not.
 */
function adminAuth(sessions: AdminSessions, trustedProxyCount: number): Koa.Middleware {
  return async (ctx, next) => {
    const queryToken = typeof ctx.query.token === 'string' ? ctx.query.token : undefined;
    if (queryToken !== undefined && ctx.method === 'GET') {
      if (!sessions.isAdminToken(queryToken)) throw new HttpError(401, 'ADMIN_TOKEN_INVALID', 'The admin token is not valid');
      const { cookie, maxAgeMs } = sessions.issue();
      const secure = cameOverHttps(ctx, trustedProxyCount) ? '; Secure' : '';
      ctx.append('Set-Cookie', [
        `${ADMIN_COOKIE}=${cookie}; Max-Age=${maxAgeMs / 1000}; Path=/admin; HttpOnly; SameSite=Strict${secure}`,
        // Earlier versions kept the raw token in a cookie on Path=/: gone with the first new session.
        `${ADMIN_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict${secure}`,
      ]);
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(ctx.path);
      return;
    }
    const authorization = ctx.get('authorization');
    if (authorization !== '') {
      const bearer = bearerToken(authorization);
      if (bearer === undefined || !sessions.isAdminToken(bearer)) throw new HttpError(401, 'ADMIN_TOKEN_INVALID', 'The admin token is not valid');
      ctx.state.admin = { via: 'bearer' } satisfies AdminCaller;
      await next();
      return;
    }
    const session = sessions.verify(ctx.cookies.get(ADMIN_COOKIE));
    if (session === undefined) {
      throw new HttpError(401, 'ADMIN_TOKEN_REQUIRED', 'Admin endpoints need the ADMIN_TOKEN: open /admin?token=<ADMIN_TOKEN> or send Authorization: Bearer <ADMIN_TOKEN>');
    }
    if (!SAFE_METHODS.has(ctx.method)) {
      const sameOrigin = ctx.get('sec-fetch-site') === 'same-origin' || ctx.get('origin') === ownOrigin(ctx, trustedProxyCount);
      if (!sameOrigin) throw new HttpError(403, 'ADMIN_CROSS_ORIGIN', 'A state-changing admin request must come from the admin page itself');
      if (!sessions.isCsrfToken(session, ctx.get('x-csrf-token') || undefined)) throw new HttpError(403, 'ADMIN_CSRF_TOKEN_INVALID', 'The X-CSRF-Token header is missing or not valid for this session');
    }
    ctx.state.admin = { via: 'session', session } satisfies AdminCaller;
    await next();
  };
}
