import Router from '@koa/router';
import Koa from 'koa';
import type { ChangeOrderStatus } from '../../application/change-order-status.js';
import type { CreateOrder } from '../../application/create-order.js';
import type { GetOrder } from '../../application/get-order.js';
import type { HealthCheck } from '../../application/ports/health-check.js';
import type { Logger } from '../../application/ports/logger.js';
import type { RateLimiter } from '../../application/ports/rate-limiter.js';
import { ValidationError } from '../../domain/errors.js';
import { mountAdminRoutes, type AdminDeps } from './admin-routes.js';
import { ApiKeys, identifyCaller, limitRate, requireApiKey } from './callers.js';
import { correlation } from './correlation.js';
import { errorResponses } from './error-responses.js';
import { jsonBody } from './json-body.js';
import { openApiDocument } from './openapi.js';
import { mountOperationalRoutes, requestMetrics, type HttpMetrics } from './operational-routes.js';
import { orderLookupResource, orderResource, orderStatusResource } from './order-resource.js';
import { parseChangeOrderStatus, parseCreateOrder } from './order-schemas.js';
import { securityHeaders } from './security-headers.js';

export interface HttpAppDeps {
  readonly createOrder: CreateOrder;
  readonly getOrder: GetOrder;
  /** POST /orders/{orderId}/status; absent (404) where a test or a tool serves only the rest. */
  readonly changeOrderStatus?: ChangeOrderStatus;
  readonly healthChecks: readonly HealthCheck[];
  readonly logger: Logger;
  readonly metrics?: HttpMetrics;
  readonly version?: string;
  /** The admin page and its API; absent (404) unless ADMIN_TOKEN is set. */
  readonly admin?: AdminDeps;
  /** API_KEYS: the order routes answer 401 to callers without one of them; absent = open to all. */
  readonly apiKeys?: readonly string[];
  /** A token bucket per caller on POST /orders and POST /orders/{orderId}/status; absent = no limit. */
  readonly orderRateLimiter?: RateLimiter;
  /** How many proxies in front append to X-Forwarded-For (0: the socket's address is the client's). */
  readonly trustedProxyCount?: number;
}

export function createHttpApp(deps: HttpAppDeps): Koa {
  const app = new Koa({ proxy: false });
  app.silent = true;
  const router = new Router();
  const keys = deps.apiKeys && deps.apiKeys.length > 0 ? new ApiKeys(deps.apiKeys) : undefined;
  const keyRequired = requireApiKey(keys);
  const rateLimited = limitRate(deps.orderRateLimiter, deps.trustedProxyCount ?? 0);

  router.post('/orders', keyRequired, rateLimited, jsonBody(), async (ctx) => {
    const parsed = parseCreateOrder(ctx.state.body);
    if (!parsed.ok) throw new ValidationError(parsed.errors);
    const { orderId, itemId, email, locale } = parsed.value;
    ctx.state.orderId = orderId;
    const order = await deps.createOrder.execute({
      orderId,
      itemIds: itemId,
      ...(email === undefined ? {} : { email }),
      ...(locale === undefined ? {} : { locale }),
      correlationId: ctx.state.correlationId,
    });
    ctx.state.log.info('order accepted', { orderId, internalId: order.internalId, items: order.itemIds.length });
    ctx.status = 202;
    ctx.set('Location', `/orders/${encodeURIComponent(order.orderId)}`);
    ctx.body = { success: true, data: orderResource(order), message: 'Order created and event sent to queue' };
  });

  router.get('/orders/:orderId', keyRequired, async (ctx) => {
    const { order, notification, notifications, statusHistory } = await deps.getOrder.execute(ctx.params.orderId ?? '');
    ctx.body = { success: true, data: orderLookupResource(order, notification, ctx.state.caller, notifications, statusHistory) };
  });

  const { changeOrderStatus } = deps;
  if (changeOrderStatus)
    router.post('/orders/:orderId/status', keyRequired, rateLimited, jsonBody(), async (ctx) => {
      const parsed = parseChangeOrderStatus(ctx.state.body);
      if (!parsed.ok) throw new ValidationError(parsed.errors);
      const orderId = ctx.params.orderId ?? '';
      ctx.state.orderId = orderId;
      const { order, changed, statusHistory } = await changeOrderStatus.execute({ orderId, ...parsed.value, correlationId: ctx.state.correlationId });
      if (changed) ctx.state.log.info('order status changed', { orderId: order.orderId, status: order.status, version: order.version });
      ctx.status = changed ? 202 : 200;
      ctx.body = {
        success: true,
        data: orderStatusResource(order, statusHistory),
        message: changed ? 'Status changed and event sent to queue' : `The order is ${order.status} already; nothing changed`,
      };
    });

  const openApi = openApiDocument(deps.version ?? '0.0.0');
  router.get('/openapi.json', (ctx) => {
    ctx.body = openApi;
  });

  mountOperationalRoutes(router, deps);
  if (deps.admin) mountAdminRoutes(router, deps.admin);

  app.use(securityHeaders());
  app.use(correlation(deps.logger));
  app.use(requestMetrics(deps.metrics));
  app.use(errorResponses());
  app.use(identifyCaller(keys));
  app.use(router.routes());
  // Not thrown: the router then sets the Allow header, and errorResponses() gives the 405 its JSON body.
  app.use(router.allowedMethods());
  return app;
}
