import type Router from '@koa/router';
import type Koa from 'koa';
import type { HealthCheck } from '../../application/ports/health-check.js';
import { runHealthChecks, HEALTH_CHECK_TIMEOUT_MS } from './health-route.js';

export interface HttpMetrics {
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  exposition(): Promise<{ contentType: string; body: string }>;
}

/** GET /health (liveness: critical dependencies), GET /ready (readiness), GET /metrics (Prometheus). */
export function mountOperationalRoutes(router: Router, deps: { healthChecks: readonly HealthCheck[]; metrics?: HttpMetrics }): void {
  const checkAll = (ctx: Koa.Context) =>
    runHealthChecks(deps.healthChecks, HEALTH_CHECK_TIMEOUT_MS, (check, error) =>
      ctx.state.log?.warn('health check failed', { check, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  router.get('/health', async (ctx) => {
    const report = await checkAll(ctx);
    ctx.status = report.status === 'fail' ? 503 : 200;
    ctx.body = report;
  });
  router.get('/ready', async (ctx) => {
    const report = await checkAll(ctx);
    const blocking = deps.healthChecks.filter((c) => (c.critical || c.requiredForReady) && report.checks[c.name]?.status === 'fail').map((c) => c.name);
    ctx.status = blocking.length > 0 ? 503 : 200;
    ctx.body = { ready: blocking.length === 0, ...(blocking.length > 0 ? { failing: blocking } : {}), checks: report.checks };
  });
  const metrics = deps.metrics;
  if (metrics) {
    router.get('/metrics', async (ctx) => {
      const { contentType, body } = await metrics.exposition();
      ctx.type = contentType;
      ctx.body = body;
    });
  }
}

/** Observes every request's duration by matched route (never the raw path, to bound the label set). */
export function requestMetrics(metrics: HttpMetrics | undefined): Koa.Middleware {
  return async (ctx, next) => {
    if (!metrics) return next();
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      metrics.httpRequest(ctx.method, String(route), ctx.status, (performance.now() - started) / 1000);
    }
  };
}
