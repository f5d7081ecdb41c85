import type Router from '@koa/router';
import type Koa from 'koa';
import type { ListWebhookEndpoints } from '../../application/list-webhook-endpoints.js';
import type { HandOverOutcome } from '../../application/ports/local-receiver.js';
import type { RegisterLocalReceiver } from '../../application/register-local-receiver.js';
import type { RegisterWebhookEndpoint } from '../../application/register-webhook-endpoint.js';
import type { RemoveWebhookEndpoint } from '../../application/remove-webhook-endpoint.js';
import type { RotateWebhookSecret } from '../../application/rotate-webhook-secret.js';
import type { SetWebhookEndpointEnabled } from '../../application/set-webhook-endpoint-enabled.js';
import { ValidationError } from '../../domain/errors.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEndpoint } from '../../domain/webhook-endpoint.js';
import { HttpError } from './http-error.js';
import { jsonBody } from './json-body.js';
import { parseRegisterWebhook } from './webhook-schemas.js';

/** The use cases behind the admin API's webhook endpoints. */
export interface AdminWebhookDeps {
  readonly register: RegisterWebhookEndpoint;
  readonly list: ListWebhookEndpoints;
  readonly setEnabled: SetWebhookEndpointEnabled;
  readonly rotate: RotateWebhookSecret;
  readonly remove: RemoveWebhookEndpoint;
  /** Only with WEBHOOK_ALLOW_INSECURE=true (development); without it, its route answers 404. */
  readonly localReceiver?: RegisterLocalReceiver;
}

/** An endpoint as the admin API shows it: its event types as receivers see them (`order.created`), never its secrets. */
export function webhookEndpointResource(endpoint: WebhookEndpoint): Record<string, unknown> {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events.map((kind) => WEBHOOK_EVENT_TYPES[kind]),
    enabled: endpoint.enabled,
    ...(endpoint.description === undefined ? {} : { description: endpoint.description }),
    createdAt: endpoint.createdAt.toISOString(),
    ...(endpoint.previousSecretExpiresAt === undefined ? {} : { previousSecretExpiresAt: endpoint.previousSecretExpiresAt.toISOString() }),
  };
}

const HAND_OVER_MESSAGES: Readonly<Record<HandOverOutcome, string>> = {
  taken: 'The receiver has the secret: it verifies every delivery it gets.',
  unreachable: 'The receiver is not running: start it with `npm run receiver`, then register it again (it gets a new secret).',
  refused: 'The receiver refused the secret: restart it with `npm run receiver`, then register it again (it gets a new secret).',
};

/**
 * /admin/api/webhooks: register (201, the secret shown once), list, disable, enable, rotate-secret, delete, and
 * local-receiver in development; behind `authorised`, the admin API's authentication and CSRF rule.
 */
export function mountAdminWebhookRoutes(router: Router, authorised: Koa.Middleware, deps: AdminWebhookDeps): void {
  const base = '/admin/api/webhooks';
  router.post(base, authorised, jsonBody(), async (ctx) => {
    const parsed = parseRegisterWebhook(ctx.state.body, (fields) => deps.register.problemsOf(fields));
    if (!parsed.ok) throw new ValidationError(parsed.errors);
    const { endpoint, secret } = await deps.register.execute(parsed.value);
    answer(ctx, 201, { endpoint: webhookEndpointResource(endpoint), secret });
  });
  router.get(base, authorised, async (ctx) => {
    answer(ctx, 200, { endpoints: (await deps.list.execute()).map(webhookEndpointResource) });
  });
  router.post(`${base}/local-receiver`, authorised, async (ctx) => {
    if (!deps.localReceiver) throw new HttpError(404, 'NOT_FOUND', `No route for POST ${ctx.path}: the local receiver is registered only when WEBHOOK_ALLOW_INSECURE=true`);
    const { endpoint, secret, created, receiver } = await deps.localReceiver.execute();
    answer(ctx, created ? 201 : 200, {
      endpoint: webhookEndpointResource(endpoint),
      secret,
      created,
      receiverTookSecret: receiver === 'taken',
      message: HAND_OVER_MESSAGES[receiver],
    });
  });
  router.post(`${base}/:id/disable`, authorised, async (ctx) => {
    answer(ctx, 200, { endpoint: webhookEndpointResource(await deps.setEnabled.execute(ctx.params.id ?? '', false)) });
  });
  router.post(`${base}/:id/enable`, authorised, async (ctx) => {
    answer(ctx, 200, { endpoint: webhookEndpointResource(await deps.setEnabled.execute(ctx.params.id ?? '', true)) });
  });
  router.post(`${base}/:id/rotate-secret`, authorised, async (ctx) => {
    const { secret, previousSecretExpiresAt } = await deps.rotate.execute(ctx.params.id ?? '');
    answer(ctx, 200, { secret, previousSecretExpiresAt: previousSecretExpiresAt.toISOString() });
  });
  router.delete(`${base}/:id`, authorised, async (ctx) => {
    await deps.remove.execute(ctx.params.id ?? '');
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 204;
  });
}

// no-store on every answer: some carry a secret, and all of them change with the next request.
function answer(ctx: Koa.Context, status: number, body: Record<string, unknown>): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.status = status;
  ctx.body = body;
}
