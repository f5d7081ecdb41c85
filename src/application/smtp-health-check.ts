import type { MailCircuit } from './mail-circuit.js';
import type { MailProviders } from './mail-providers.js';
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

/**
 * SMTP with several providers: ready while any of them takes mail, failing (with the primary's kind) only while
 * none does. Each provider is checked as smtpHealthCheck checks one, and shown by its label (`primary`,
 * `fallback-1`…), never by its address; `active` names the one emails go through. One provider: smtpHealthCheck.
 */
export function mailProvidersHealthCheck(providers: MailProviders, clock: Clock, logger: Logger): HealthCheck {
  if (providers.all.length === 1) return smtpHealthCheck(providers.primary.circuit, providers.primary.mailer, clock, logger.child({ provider: providers.primary.name }));
  const checks = providers.all.map((provider) => ({ provider, check: smtpHealthCheck(provider.circuit, provider.mailer, clock, logger.child({ provider: provider.name })) }));
  return {
    name: 'smtp',
    critical: false,
    requiredForReady: true,
    check: async () => {
      const results = await Promise.all(
        checks.map(async ({ provider, check }) => {
          try {
            return { provider, ok: true, details: { ...(await check.check()) } };
          } catch (error) {
            const failure = error instanceof HealthCheckFailure ? error : new HealthCheckFailure('smtp-unreachable');
            return { provider, ok: false, failure: failure.message, details: { ...failure.details, error: failure.message } };
          }
        }),
      );
      const shown = { providers: Object.fromEntries(results.map((result) => [result.provider.label, { status: result.ok ? 'ok' : 'fail', ...result.details }])) };
      const usable = results.find((result) => result.ok);
      if (!usable) throw new HealthCheckFailure(results[0]?.failure ?? 'smtp-unreachable', shown);
      return { active: providers.active()?.label ?? usable.provider.label, ...shown };
    },
  };
}
