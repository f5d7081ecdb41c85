import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ContainerModule } from 'inversify';
import { DispatchEvent } from '../../application/dispatch-event.js';
import { IgnoreEvent } from '../../application/ignore-event.js';
import { MailCircuit } from '../../application/mail-circuit.js';
import { NotificationSender } from '../../application/notification-sender.js';
import { NotificationsInFlight } from '../../application/notifications-in-flight.js';
import { RenewNotificationLeases } from '../../application/renew-notification-leases.js';
import { SendDueNotifications } from '../../application/send-due-notifications.js';
import { SendNotification } from '../../application/send-notification.js';
import { RejectPoison } from '../../application/reject-poison.js';
import { SendStatusUpdateOnOrderStatusChanged } from '../../application/send-status-update-on-order-status-changed.js';
import { SendOrderConfirmationOnOrderCreated } from '../../application/send-order-confirmation-on-order-created.js';
import { HealthCheckFailure, type HealthCheck } from '../../application/ports/health-check.js';
import type { Logger } from '../../application/ports/logger.js';
import { MailDeliveryError, type Mailer } from '../../application/ports/mailer.js';
import type { EventKind } from '../../domain/domain-event.js';
import type { NotificationFailureKind } from '../../domain/notification.js';
import { sleep } from '../../application/sleep.js';
import { createOpsApp } from '../../adapters/http/ops-app.js';
import { KafkaEventConsumer } from '../../adapters/kafka/kafka-event-consumer.js';
import { PgRecipientQuota } from '../../adapters/postgres/pg-recipient-quota.js';
import { EmbeddedInbox, type InboxLimits } from '../../adapters/smtp/embedded-inbox.js';
import { SmtpMailer } from '../../adapters/smtp/smtp-mailer.js';
import { messageIdDomainOf } from '../config.js';
import { HttpServerService } from '../http-server-service.js';
import { HOUSEKEEPING_EVERY_MS, PeriodicService } from '../periodic-service.js';
import { all, optional, provide, T, type Service } from '../tokens.js';
import { topicsOf } from './kafka-producer-module.js';
import { registerHealthGauge, registerLagGauge } from './metrics-gauges.js';

/**
 * Kinds on the notifier's topics that it reads and deliberately does not react to (none yet): acknowledged
 * and counted, never dead-lettered. A kind neither here nor in a reaction is poison.
 */
const IGNORED_BY_THE_NOTIFIER: readonly EventKind[] = [];

const RETRY_SWEEP_MS = 250;
const RETRY_BATCH = 50;

export type MailServer = { readonly url: string } | { readonly embeddedPort: number; readonly limits?: InboxLimits };

/** The mailer and its circuit breaker: a real SMTP server, or the embedded inbox. */
export function smtpModule(server: MailServer): ContainerModule {
  return new ContainerModule(({ bind }) => {
    if ('embeddedPort' in server) {
      provide(bind, T.Inbox, [], () => EmbeddedInbox.start(server.embeddedPort, server.limits)).onDeactivation((inbox) => inbox.stop());
      provide(bind, T.SmtpUrl, [T.Inbox], (inbox) => inbox.smtpUrl);
    } else {
      bind(T.SmtpUrl).toConstantValue(server.url);
    }
    provide(bind, T.Mailer, [T.Config, T.SmtpUrl], (config, url) => new SmtpMailer({ url, from: config.smtp.from, ...(config.smtp.rateLimit ? { rateLimit: config.smtp.rateLimit } : {}) })).onDeactivation((mailer) =>
      (mailer as SmtpMailer).close(),
    );
    provide(bind, T.MailCircuit, [T.Mailer, T.Logger, T.Metrics], (mailer, logger, metrics) => new MailCircuit(mailer, logger.child({ component: 'smtp' }), undefined, metrics)).onDeactivation((circuit) =>
      circuit.stop(),
    );
    provide(bind, T.NotifierGate, [T.MailCircuit], (circuit) => circuit.gate);
    provide(bind, T.HealthCheck, [T.MailCircuit, T.Mailer, T.Logger], (circuit, mailer, logger) => smtpHealthCheck(circuit, mailer, logger.child({ component: 'smtp' })));
  });
}

/** The notifier's reactions and their dispatch table, and the sweeper that sends due retries and takes over expired claims. */
export function notifierModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    // Who holds this process's claims: unique per process, the same for every use case that claims.
    const claims = { owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}` };
    bind(T.NotificationsInFlight).toConstantValue(new NotificationsInFlight());
    provide(
      bind,
      T.NotificationSender,
      [T.NotificationLedger, T.Mailer, T.DeadLetters, T.MailCircuit, T.Clock, T.Logger, T.NotificationsInFlight, T.Config, T.Metrics, optional(T.RecipientQuota)],
      (ledger, mailer, deadLetters, circuit, clock, logger, inFlight, config, metrics, recipientQuota) =>
        new NotificationSender(
          ledger,
          mailer,
          deadLetters,
          circuit,
          clock,
          logger.child({ component: 'notifier' }),
          inFlight,
          {
            maxRetries: config.notifier.maxRetries,
            retryBaseMs: config.notifier.retryBaseMs,
            leaseMs: config.notifier.leaseMs,
            owner: claims.owner,
            messageIdDomain: messageIdDomainOf(config.smtp.from),
            ...(config.smtp.defaultTo ? { defaultTo: config.smtp.defaultTo } : {}),
          },
          metrics,
          recipientQuota,
        ),
    );
    provide(bind, T.SendNotification, [T.NotificationLedger, T.NotificationSender, T.Logger, T.Config], (ledger, sender, logger, config) =>
      new SendNotification(ledger, sender, logger.child({ component: 'notifier' }), { owner: claims.owner, leaseMs: config.notifier.leaseMs }),
    );
    provide(bind, T.SendDueNotifications, [T.NotificationLedger, T.NotificationSender, T.MailCircuit, T.NotificationsInFlight, T.Config], (ledger, sender, circuit, inFlight, config) =>
      new SendDueNotifications(ledger, sender, circuit, inFlight, { owner: claims.owner, leaseMs: config.notifier.leaseMs }),
    );
    provide(bind, T.RenewNotificationLeases, [T.NotificationLedger, T.NotificationsInFlight, T.Config], (ledger, inFlight, config) =>
      new RenewNotificationLeases(ledger, inFlight, { owner: claims.owner, leaseMs: config.notifier.leaseMs }),
    );
    // The dispatch table: one row per reaction; a new reaction is a new file and a line here.
    provide(bind, T.Reaction, [T.SendNotification], (sendNotification) => new SendOrderConfirmationOnOrderCreated(sendNotification));
    provide(bind, T.Reaction, [T.SendNotification], (sendNotification) => new SendStatusUpdateOnOrderStatusChanged(sendNotification));
    for (const kind of IGNORED_BY_THE_NOTIFIER)
      provide(bind, T.Reaction, [T.Logger, T.Metrics], (logger, metrics) => new IgnoreEvent(kind, logger.child({ component: 'notifier' }), metrics));
    provide(
      bind,
      T.DispatchEvent,
      [all(T.Reaction), T.DeadLetters, T.Clock, T.Logger, T.Metrics],
      (reactions, deadLetters, clock, logger, metrics) => {
        const log = logger.child({ component: 'notifier' });
        return new DispatchEvent(reactions, new RejectPoison(deadLetters, clock, log, metrics), log);
      },
    );
    provide(bind, T.Service, [T.SendDueNotifications, T.RenewNotificationLeases, T.Logger, T.Config], (sendDue, renewLeases, logger, config) =>
      new RetrySweeper(sendDue, renewLeases, logger, config.notifier.leaseMs / 3),
    );
  });
}

/**
 * The cap on emails per recipient per hour, and the pruning of its old units: in the database (a server
 * or the embedded one), so that every notifier process takes from the same units.
 */
export function recipientQuotaModule(perHour: number): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.RecipientQuota, [T.Database], (database) => new PgRecipientQuota(database, perHour));
    provide(bind, T.Service, [T.RecipientQuota, T.Logger], (quota, logger) =>
      new PeriodicService('recipient-quota-pruning', HOUSEKEEPING_EVERY_MS, async () => void (await quota.prune()), logger.child({ component: 'notifier' })),
    );
  });
}

/** The notifier's Kafka consumer, with its health check. */
export function kafkaConsumerModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(
      bind,
      T.EventConsumer,
      [T.Kafka, T.EventCodecs, T.DispatchEvent, T.NotifierGate, T.Config, T.Logger],
      (kafka, codecs, dispatch, gate, config, logger) =>
        new KafkaEventConsumer(
          kafka,
          codecs,
          dispatch,
          gate,
          { groupId: config.kafka.groupId, concurrency: config.kafka.partitions, batchConcurrency: 8, topics: topicsOf(config) },
          logger.child({ component: 'consumer' }),
        ),
    );
    provide(bind, T.Service, [T.EventConsumer], (consumer) => ({ name: 'consumer', start: () => consumer.start(), stop: () => consumer.stop() }));
    provide(bind, T.HealthCheck, [T.EventConsumer], (consumer) => ({ ...consumer.healthCheck(), requiredForReady: true }));
  });
}

/** The notifier role's small HTTP server: /health, /ready, /metrics (with consumer lag per partition). */
export function opsServerModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Service, [T.Config, T.Logger, all(T.HealthCheck), T.Metrics, T.KafkaLag], (config, logger, healthChecks, metrics, lag) => {
      registerHealthGauge(metrics, healthChecks);
      registerLagGauge(metrics, lag);
      return new HttpServerService('ops', createOpsApp({ healthChecks, logger, metrics }).callback(), config.notifier.opsPort, logger, config.httpDrainMs);
    });
  });
}

/**
 * Sends the emails whose retry is due or whose turn has come (queued behind an earlier one of their order),
 * takes over the ones a crashed notifier left behind, and renews the leases of this process's sends.
 */
class RetrySweeper implements Service {
  readonly name = 'retry-sweeper';
  private readonly stopping = new AbortController();
  private running?: Promise<void>;
  private renewing?: Promise<void>;

  constructor(
    private readonly sendDue: SendDueNotifications,
    private readonly renewLeases: RenewNotificationLeases,
    private readonly logger: Logger,
    private readonly renewEveryMs: number,
  ) {}

  async start(): Promise<void> {
    this.running = this.loop();
    this.renewing = this.renewLoop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all([this.running, this.renewing]);
  }

  // Its own loop, so that a sweep waiting on slow sends never lets their leases lapse.
  private async renewLoop(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      await sleep(this.renewEveryMs, signal);
      try {
        await this.renewLeases.execute();
      } catch (error) {
        this.logger.warn('lease renewal failed', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      try {
        const taken = await this.sendDue.execute(RETRY_BATCH);
        if (taken < RETRY_BATCH) await sleep(RETRY_SWEEP_MS, signal);
      } catch (error) {
        this.logger.warn('retry sweep failed', { error: error instanceof Error ? error.message : String(error) });
        await sleep(2000, signal);
      }
    }
  }
}

const VERIFY_CACHE_MS = 30_000;

/**
 * SMTP as readiness sees it: the circuit's state, and a verify() at most every 30 s, never awaited by a probe.
 * A failure shows as its kind (smtp-unreachable, auth-failed...); the server's text, which names its address, goes to the log.
 */
export function smtpHealthCheck(circuit: MailCircuit, mailer: Mailer, logger: Logger): HealthCheck {
  let last: { at: number; failure?: NotificationFailureKind } | undefined;
  let refreshing: Promise<void> | undefined;
  const refresh = (): Promise<void> =>
    (refreshing ??= mailer
      .verify()
      .then(
        () => {
          last = { at: Date.now() };
        },
        (error: unknown) => {
          last = { at: Date.now(), failure: error instanceof MailDeliveryError ? error.failureKind : 'smtp-unreachable' };
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
      else if (Date.now() - last.at > VERIFY_CACHE_MS) void refresh();
      if (last?.failure) throw new HealthCheckFailure(last.failure, { circuit: 'closed', checkedAt: new Date(last.at).toISOString() });
      return { circuit: 'closed', verifiedAt: new Date(last?.at ?? Date.now()).toISOString() };
    },
  };
}
