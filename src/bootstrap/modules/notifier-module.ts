import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ContainerModule } from 'inversify';
import { MailCircuit } from '../../application/mail-circuit.js';
import type { Logger } from '../../application/ports/logger.js';
import { NotifyOrderCreated } from '../../application/notify-order-created.js';
import { sleep } from '../../application/sleep.js';
import { createOpsApp } from '../../adapters/http/ops-app.js';
import { KafkaOrderConsumer } from '../../adapters/kafka/kafka-order-consumer.js';
import { SmtpMailer } from '../../adapters/smtp/smtp-mailer.js';
import { HttpServerService } from '../http-server-service.js';
import { topicsOf } from './kafka-producer-module.js';
import { all, provide, T, type Service } from '../tokens.js';

const LEASE_MS = 60_000;
const RETRY_SWEEP_MS = 250;
const RETRY_BATCH = 50;

/** The notifier: SMTP mailer, the Kafka consumer, the retry sweeper and the ops server. */
export function notifierModule(smtpUrl: string): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Mailer, [T.Config], (config) => new SmtpMailer({ url: smtpUrl, from: config.smtp.from, ...(config.smtp.rateLimit ? { rateLimit: config.smtp.rateLimit } : {}) })).onDeactivation(
      (mailer) => (mailer as SmtpMailer).close(),
    );
    provide(bind, T.MailCircuit, [T.Mailer, T.Logger], (mailer, logger) => new MailCircuit(mailer, logger.child({ component: 'smtp' }))).onDeactivation((circuit) =>
      circuit.stop(),
    );
    provide(
      bind,
      T.NotifyOrderCreated,
      [T.NotificationLedger, T.Mailer, T.DeadLetters, T.MailCircuit, T.Clock, T.Logger, T.Config],
      (ledger, mailer, deadLetters, circuit, clock, logger, config) =>
        new NotifyOrderCreated(ledger, mailer, deadLetters, circuit, clock, logger.child({ component: 'notifier' }), {
          maxRetries: config.notifier.maxRetries,
          retryBaseMs: config.notifier.retryBaseMs,
          leaseMs: LEASE_MS,
          owner: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
          ...(config.smtp.defaultTo ? { defaultTo: config.smtp.defaultTo } : {}),
        }),
    );
    provide(bind, T.Service, [T.Config, T.Logger, all(T.HealthCheck)], (config, logger, healthChecks) =>
      new HttpServerService('ops', createOpsApp({ healthChecks, logger }).callback(), config.notifier.opsPort, logger),
    );
    provide(
      bind,
      T.OrderConsumer,
      [T.Kafka, T.NotifyOrderCreated, T.MailCircuit, T.Config, T.Logger],
      (kafka, notify, circuit, config, logger) =>
        new KafkaOrderConsumer(
          kafka,
          notify,
          circuit,
          { groupId: config.kafka.groupId, topic: config.kafka.topic, concurrency: config.kafka.partitions, topics: topicsOf(config) },
          logger.child({ component: 'consumer' }),
        ),
    );
    provide(bind, T.Service, [T.OrderConsumer], (consumer) => ({ name: 'consumer', start: () => consumer.start(), stop: () => consumer.stop() }));
    provide(bind, T.HealthCheck, [T.OrderConsumer], (consumer) => consumer.healthCheck());
    provide(bind, T.HealthCheck, [T.MailCircuit], (circuit) => ({
      name: 'smtp',
      critical: false,
      check: async () => {
        const state = circuit.state;
        if (state.open) throw new Error(`${state.kind === 'auth' ? 'authentication failing' : 'unreachable'} since ${state.since.toISOString()}: ${state.reason}`);
        return { circuit: 'closed' };
      },
    }));
    provide(bind, T.Service, [T.NotifyOrderCreated, T.Logger], (notify, logger) => new RetrySweeper(notify, logger));
  });
}

/** Sends the emails whose retry is due, and takes over the ones a crashed notifier left behind. */
class RetrySweeper implements Service {
  readonly name = 'retry-sweeper';
  private readonly stopping = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly notify: NotifyOrderCreated,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      try {
        const taken = await this.notify.retryDue(RETRY_BATCH);
        if (taken < RETRY_BATCH) await sleep(RETRY_SWEEP_MS, signal);
      } catch (error) {
        this.logger.warn('retry sweep failed', { error: error instanceof Error ? error.message : String(error) });
        await sleep(2000, signal);
      }
    }
  }
}
