import { ContainerModule } from 'inversify';
import { RetrySweeper } from '../../application/retry-sweeper.js';
import { provide, T } from '../tokens.js';

/** The sweeper that sends due retries, takes over expired claims and renews this process's leases. */
export function retrySweeperModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Service, [T.SendDueNotifications, T.RenewNotificationLeases, T.Logger, T.Config], (sendDue, renewLeases, logger, config) =>
      new RetrySweeper(sendDue, renewLeases, logger, { renewEveryMs: config.notifier.leaseMs / 3 }),
    );
  });
}
