import type { MailCircuit } from './mail-circuit.js';
import type { Clock } from './ports/clock.js';
import { HealthCheckFailure, type HealthCheck } from './ports/health-check.js';
import type { Logger } from './ports/logger.js';
import { MailDeliveryError, type Mailer } from './ports/mailer.js';
import type { NotificationFailureKind } from '../domain/notification.js';

const VERIFY_CACHE_MS = 30_000;

/**
 * SMTP as readiness sees it: the circuit's state, and a verify() at most every 30 s, never awaited by a probe.
 * A failure shows as its kind (smtp-unreachable, auth-failed...); the server's text, which names its address, goes to the log.
 */
export function smtpHealthCheck(circuit: MailCircuit, mailer: Mailer, clock: Clock, logger: Logger): HealthCheck {
  let last: { at: number; failure?: NotificationFailureKind } | undefined;
  let refreshing: Promise<void> | undefined;
  const now = (): number => clock.now().getTime();
  const refresh = (): Promise<void> =>
    (refreshing ??= mailer
      .verify()
      .then(
        () => {
          last = { at: now() };
        },
        (error: unknown) => {
          last = { at: now(), failure: error instanceof MailDeliveryError ? error.failureKind : 'smtp-unreachable' };
          logger.warn('SMTP server check failed', { kind: last.failure, error: error instanceof Error ? error.message : String(error) });
        },
      )
      .finally(() => {
        refreshing = undefined;
      }));
  return {
    name: 'smtp',
    critical: false,
    requiredForReady: true,
    check: async () => {
      const state = circuit.state;
      if (state.open) throw new HealthCheckFailure(state.failureKind, { circuit: 'open', since: state.since.toISOString() });
      if (!last) await refresh();
      else if (now() - last.at > VERIFY_CACHE_MS) void refresh();
      if (last?.failure) throw new HealthCheckFailure(last.failure, { circuit: 'closed', checkedAt: new Date(last.at).toISOString() });
      return { circuit: 'closed', verifiedAt: new Date(last?.at ?? now()).toISOString() };
    },
  };
}
