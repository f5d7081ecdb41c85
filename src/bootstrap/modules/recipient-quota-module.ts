import { ContainerModule } from 'inversify';
import { PgRecipientQuota } from '../../adapters/postgres/pg-recipient-quota.js';
import { HOUSEKEEPING_EVERY_MS, PeriodicService } from '../periodic-service.js';
import { provide, T } from '../tokens.js';

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
