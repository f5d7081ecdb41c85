import { ContainerModule } from 'inversify';
import { HealthCheckFailure } from '../../application/ports/health-check.js';
import type { RelayOutbox } from '../../application/relay-outbox.js';
import { provide, T, type Service } from '../tokens.js';
import { registerOutboxGauges } from './metrics-gauges.js';

/** Runs the outbox relay loop as a service of the role. */
export function relayModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Service, [T.RelayOutbox, T.Outbox, T.Metrics], (relay, outbox, metrics) => {
      registerOutboxGauges(metrics, outbox);
      return new RelayService(relay);
    });
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

class RelayService implements Service {
  readonly name = 'relay';
  private readonly stopping = new AbortController();
  private running?: Promise<void>;

  constructor(private readonly relay: RelayOutbox) {}

  async start(): Promise<void> {
    this.running = this.relay.run(this.stopping.signal);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }
}
