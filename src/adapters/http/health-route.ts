import { HealthCheckFailure, type HealthCheck } from '../../application/ports/health-check.js';

export const HEALTH_CHECK_TIMEOUT_MS = 2000;

export interface HealthReport {
  status: 'ok' | 'degraded' | 'fail';
  checks: Record<string, { status: 'ok' | 'fail'; critical: boolean; error?: string } & Record<string, unknown>>;
}

/**
 * Runs every check at once, none for longer than the timeout. A failure shows only what a HealthCheckFailure
 * says; any other error (a driver's text, a stack) is handed to `hidden`, for the log, and shows as `failing`.
 */
export async function runHealthChecks(
  checks: readonly HealthCheck[],
  timeoutMs = HEALTH_CHECK_TIMEOUT_MS,
  hidden: (check: string, error: unknown) => void = () => undefined,
): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (check) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HealthCheckFailure(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const details = (await Promise.race([check.check(), timeout])) ?? {};
        return [check.name, { status: 'ok' as const, critical: check.critical, ...details }] as const;
      } catch (error) {
        if (!(error instanceof HealthCheckFailure)) hidden(check.name, error);
        const { message, details } = error instanceof HealthCheckFailure ? error : { message: 'failing', details: {} };
        return [check.name, { status: 'fail' as const, critical: check.critical, ...details, error: message }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const failing = results.filter(([, r]) => r.status === 'fail');
  const status = failing.some(([, r]) => r.critical) ? 'fail' : failing.length > 0 ? 'degraded' : 'ok';
  return { status, checks: Object.fromEntries(results) };
}
