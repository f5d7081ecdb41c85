import Router from '@koa/router';
import Koa from 'koa';
import type { HealthCheck } from '../../application/ports/health-check.js';
import type { Logger } from '../../application/ports/logger.js';
import { correlation } from './correlation.js';
import { errorResponses } from './error-responses.js';
import { runHealthChecks } from './health-route.js';

/** The small HTTP server of roles without the public API (the notifier): health for probes. */
export function createOpsApp(deps: { healthChecks: readonly HealthCheck[]; logger: Logger }): Koa {
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  router.get('/health', async (ctx) => {
    const report = await runHealthChecks(deps.healthChecks);
    ctx.status = report.status === 'fail' ? 503 : 200;
    ctx.body = report;
  });
  app.use(correlation(deps.logger.child({ component: 'ops' }), 'debug'));
  app.use(errorResponses());
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
