import type Router from '@koa/router';
import type Koa from 'koa';
import type { AdminOverview } from '../../application/admin-overview.js';
import type { PreviewEmail } from '../../application/preview-email.js';
import type { NotificationFilter } from '../../application/ports/admin-read-model.js';
import type { ReplayDeadLetter, ReplayOutcome } from '../../application/replay-dead-letter.js';
import { ValidationError, type FieldError } from '../../domain/errors.js';
import {
  isNotificationChannel,
  isNotificationKind,
  isNotificationStatus,
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  NOTIFICATION_STATUSES,
  type NotificationChannel,
  type NotificationKind,
} from '../../domain/notification.js';
import { WEBHOOK_ENDPOINT_ID } from '../../domain/webhook-endpoint.js';
import { ADMIN_SCRIPT, ADMIN_STYLES, adminPage, INBOX_STYLES, inboxPage } from './admin-page.js';
import { AdminSessions } from './admin-session.js';
import { mountAdminWebhookRoutes, type AdminWebhookDeps } from './admin-webhook-routes.js';
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
  /** The webhook endpoints' administration (/admin/api/webhooks and the page's Webhooks section); absent = neither. */
  readonly webhooks?: AdminWebhookDeps;
  /** The email templates rendered for a sample order (/admin/api/preview, /admin/preview and the page's section); absent = none. */
  readonly preview?: PreviewEmail;
  /** TRUSTED_PROXY_COUNT: how many proxies in front of us set X-Forwarded-Proto (0: none is believed). */
  readonly trustedProxyCount?: number;
  /** Epoch milliseconds, for the session's expiry. */
  readonly now?: () => number;
}

export const ADMIN_COOKIE = 'ordermail_admin';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * GET /admin (page, with /admin/app.js and /admin/app.css), GET /admin/api/overview[?status=&kind=&channel=],
 * POST /admin/api/notifications/:orderId/:kind/:channel/replay[?endpoint=] (and the confirmation's former
 * /admin/api/dead-letters/:orderId/replay), /admin/api/webhooks…, GET /admin/api/preview/:kind[?lang=] and its
 * HTML alone at /admin/preview/:kind[?lang=], and /admin/inbox in the single-process mode.
 */
export function mountAdminRoutes(router: Router, deps: AdminDeps): void {
  const sessions = new AdminSessions(deps.token, deps.now);
  const authorised = adminAuth(sessions, deps.trustedProxyCount ?? 0);
  router.get('/admin', authorised, (ctx) => {
    htmlPolicy(ctx, "script-src 'self'; style-src 'self'; connect-src 'self'; frame-src 'self'");
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    const session = (ctx.state.admin as AdminCaller).session;
    ctx.body = adminPage(session === undefined ? '' : sessions.csrfToken(session), {
      webhooks: deps.webhooks !== undefined,
      localReceiver: deps.webhooks?.localReceiver !== undefined,
      preview: deps.preview !== undefined,
    });
  });
  router.get('/admin/app.js', authorised, asset('application/javascript', ADMIN_SCRIPT));
  router.get('/admin/app.css', authorised, asset('text/css', ADMIN_STYLES));
  router.get('/admin/api/overview', authorised, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ...(await deps.overview.execute(overviewFilter(ctx.query))), inbox: deps.inbox !== undefined };
  });
  // An id no order can have answers 404 (ORDER_NOT_FOUND), like GET /orders/{orderId}.
  router.post('/admin/api/notifications/:orderId/:kind/:channel/replay', authorised, async (ctx) => {
    const { kind, channel, endpointId } = notificationKeyOf(ctx.params.kind, ctx.params.channel, ctx.query.endpoint);
    replied(ctx, await deps.replay.forOrder(ctx.params.orderId ?? '', kind, channel, endpointId));
  });
  // The address of earlier versions, kept for scripts: an order's confirmation email.
  router.post('/admin/api/dead-letters/:orderId/replay', authorised, async (ctx) => {
    replied(ctx, await deps.replay.forOrder(ctx.params.orderId ?? ''));
  });
  if (deps.webhooks) mountAdminWebhookRoutes(router, authorised, deps.webhooks);
  const preview = deps.preview;
  if (preview) {
    const render = (ctx: Koa.Context) => preview.execute(previewKindOf(ctx.params.kind), previewLocaleOf(ctx.query.lang));
    router.get('/admin/api/preview/:kind', authorised, (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = render(ctx);
    });
    // The email's HTML as a document of its own, for the admin page's sandboxed frame: inline styles and https
    // images as mail clients show them, no script, and framed by our own pages only.
    router.get('/admin/preview/:kind', authorised, (ctx) => {
      const { html } = render(ctx);
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox");
      ctx.set('X-Frame-Options', 'SAMEORIGIN');
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'html';
      ctx.body = html;
    });
  }
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

function replied(ctx: Koa.Context, outcome: ReplayOutcome): void {
  ctx.status = outcome === 'reset' ? 202 : 409;
  ctx.body = { success: outcome === 'reset', outcome };
}

/** `?status=`, `?kind=` and `?channel=` of the overview: each one of the domain's values, or absent. */
function overviewFilter(query: Koa.Context['query']): NotificationFilter {
  // `?status=` (an empty select on the page) narrows nothing, like no status at all.
  const status = query.status || undefined;
  const kind = query.kind || undefined;
  const channel = query.channel || undefined;
  const problems: FieldError[] = [];
  if (status !== undefined && !isNotificationStatus(status)) problems.push({ field: 'status', message: `must be one of ${NOTIFICATION_STATUSES.join(', ')}` });
  if (kind !== undefined && !isNotificationKind(kind)) problems.push({ field: 'kind', message: `must be one of ${NOTIFICATION_KINDS.join(', ')}` });
  if (channel !== undefined && !isNotificationChannel(channel)) problems.push({ field: 'channel', message: `must be one of ${NOTIFICATION_CHANNELS.join(', ')}` });
  if (problems.length > 0) throw new ValidationError(problems);
  return {
    ...(isNotificationStatus(status) ? { status } : {}),
    ...(isNotificationKind(kind) ? { kind } : {}),
    ...(isNotificationChannel(channel) ? { channel } : {}),
  };
}

/** The kind a preview names: one of the domain's, or 400 listing them. */
function previewKindOf(kind: string | undefined): NotificationKind {
  if (!isNotificationKind(kind)) throw new ValidationError([{ field: 'kind', message: `must be one of ${NOTIFICATION_KINDS.join(', ')}` }]);
  return kind;
}

/** `?lang=`: a BCP 47 tag (PreviewEmail checks it), or absent (or empty, as an empty field of the page's form sends it) for the shop's default. */
function previewLocaleOf(lang: string | string[] | undefined): string | undefined {
  if (Array.isArray(lang)) throw new ValidationError([{ field: 'lang', message: 'must be given once' }]);
  return lang === undefined || lang.trim() === '' ? undefined : lang;
}

/**
 * The key a replay names: the kind and channel of its path, one of the domain's each, and `?endpoint=` for a
 * webhook delivery (an endpoint id), never for an email; or 400 before the ledger is asked.
 */
function notificationKeyOf(
  kind: string | undefined,
  channel: string | undefined,
  endpoint: string | string[] | undefined,
): { kind: NotificationKind; channel: NotificationChannel; endpointId?: string } {
  const problems: FieldError[] = [];
  if (!isNotificationKind(kind)) problems.push({ field: 'kind', message: `must be one of ${NOTIFICATION_KINDS.join(', ')}` });
  if (!isNotificationChannel(channel)) problems.push({ field: 'channel', message: `must be one of ${NOTIFICATION_CHANNELS.join(', ')}` });
  else if (channel === 'email' && endpoint !== undefined) problems.push({ field: 'endpoint', message: 'must be absent for an email: only a webhook delivery has an endpoint' });
  else if (channel === 'webhook' && endpoint === undefined) problems.push({ field: 'endpoint', message: 'is required for a webhook delivery: ?endpoint=<endpoint id>' });
  else if (channel === 'webhook' && (typeof endpoint !== 'string' || !WEBHOOK_ENDPOINT_ID.test(endpoint)))
    problems.push({ field: 'endpoint', message: `must be one endpoint id, matching ${WEBHOOK_ENDPOINT_ID.source}` });
  if (problems.length > 0 || !isNotificationKind(kind) || !isNotificationChannel(channel)) throw new ValidationError(problems);
  return { kind, channel, ...(typeof endpoint === 'string' && channel === 'webhook' ? { endpointId: endpoint } : {}) };
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
