import type { Clock } from './ports/clock.js';
import { HealthCheckFailure, type HealthCheck } from './ports/health-check.js';
import type { Outbox } from './ports/outbox.js';
import type { RelayOutbox } from './relay-outbox.js';

/** The relay as /health shows it: its circuit, the outbox backlog, the parked events and the age of the oldest waiting one. */
export function relayHealthCheck(relay: Pick<RelayOutbox, 'status'>, outbox: Pick<Outbox, 'backlog'>, clock: Clock): HealthCheck {
  return {
    name: 'relay',
    critical: false,
    check: async () => {
      const backlog = await outbox.backlog();
      const details = {
        circuit: relay.status.circuit,
        backlog: backlog.count,
        // Refused by the broker for good: each one is a bug to look at; the relay goes on without them.
        parked: backlog.parked,
        oldestAgeMs: backlog.oldestCreatedAt ? clock.now().getTime() - backlog.oldestCreatedAt.getTime() : 0,
      };
      // The failure's text (broker addresses) is in the relay's log lines, not in the public /health.
      if (relay.status.circuit === 'open') throw new HealthCheckFailure('publishing failing', { ...details, consecutiveFailures: relay.status.consecutiveFailures });
      return details;
    },
  };
}
