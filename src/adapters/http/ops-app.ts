import Router from '@koa/router';
import Koa from 'koa';
import type { HealthCheck } from '../../application/ports/health-check.js';
import type { Logger } from '../../application/ports/logger.js';
import { correlation } from './correlation.js';
import { errorResponses } from './error-responses.js';
import { mountOperationalRoutes, type HttpMetrics } from './operational-routes.js';
import { securityHeaders } from './security-headers.js';

/** The small HTTP server of roles without the public API (the notifier): health, readiness, metrics. */
export function createOpsApp(deps: { healthChecks: readonly HealthCheck[]; logger: Logger; metrics?: HttpMetrics }): Koa {
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  mountOperationalRoutes(router, deps);
  app.use(securityHeaders());
  app.use(correlation(deps.logger.child({ component: 'ops' }), 'debug'));
  app.use(errorResponses());
  app.use(router.routes());
  // Not thrown: the router then sets the Allow header, and errorResponses() gives the 405 its JSON body.
  app.use(router.allowedMethods());
  return app;
}
