import { ContainerModule } from 'inversify';
import { HealthCheckFailure } from '../../application/ports/health-check.js';
import type { Logger } from '../../application/ports/logger.js';
import type { RelayOutbox } from '../../application/relay-outbox.js';
import { beforeDeadline, PAST_DEADLINE } from '../deadline.js';
import { HOUSEKEEPING_EVERY_MS, PeriodicService } from '../periodic-service.js';
import { provide, T, type Service } from '../tokens.js';
import { registerOutboxGauges } from './metrics-gauges.js';

/** Runs the outbox relay loop as a service of the role. */
export function relayModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Service, [T.RelayOutbox, T.Outbox, T.Metrics, T.Config, T.Logger], (relay, outbox, metrics, config, logger) => {
      registerOutboxGauges(metrics, outbox);
      return new RelayService(relay, config.relay.batchSize, logger.child({ component: 'relay' }));
    });
    // Outbox retention, beside the relay loop: publishing never waits for it.
    provide(bind, T.Service, [T.RelayOutbox, T.Logger], (relay, logger) =>
      new PeriodicService('outbox-retention', HOUSEKEEPING_EVERY_MS, async () => void (await relay.prune()), logger.child({ component: 'relay' })),
    );
    provide(bind, T.HealthCheck, [T.RelayOutbox, T.Outbox], (relay, outbox) => ({
        name: 'relay',
        critical: false,
        check: async () => {
          const backlog = await outbox.backlog();
          const details = {
            circuit: relay.status.circuit,
            backlog: backlog.count,
            // Refused by the broker for good: each one is a bug to look at; the relay goes on without them.
            parked: backlog.parked,
            oldestAgeMs: backlog.oldestCreatedAt ? Date.now() - backlog.oldestCreatedAt.getTime() : 0,
          };
          // The failure's text (broker addresses) is in the relay's log lines, not in the public /health.
          if (relay.status.circuit === 'open') throw new HealthCheckFailure('publishing failing', { ...details, consecutiveFailures: relay.status.consecutiveFailures });
          return details;
        },
      }));
  });
}

/** The relay loop; stopped after HTTP (see roles.ts), it flushes once more what HTTP accepted while draining. */
class RelayService implements Service {
  readonly name = 'relay';
  private readonly stopping = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly relay: RelayOutbox,
    private readonly batchSize: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.running = this.relay.run(this.stopping.signal);
  }

  async stop(deadline: number): Promise<void> {
    this.stopping.abort();
    if ((await beforeDeadline(this.running ?? Promise.resolve(), deadline)) === PAST_DEADLINE) {
      this.logger.warn('the relay loop did not stop by the shutdown deadline; unpublished events wait in the outbox for the next relay');
      return;
    }
    try {
      let flushed = 0;
      for (;;) {
        const published = await beforeDeadline(this.relay.execute(), deadline);
        if (published === PAST_DEADLINE) {
          this.logger.warn('last flush stopped at the shutdown deadline; the rest waits in the outbox for the next relay', { flushed });
          return;
        }
        flushed += published;
        if (published < this.batchSize) break;
      }
      if (flushed > 0) this.logger.info('last flush published the orders accepted while stopping', { count: flushed });
    } catch (error) {
      this.logger.warn('last flush failed; the events wait in the outbox for the next relay', { error: error instanceof Error ? error.message : String(error) });
    }
  }
}
