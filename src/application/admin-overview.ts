import type { Activity, AdminReadModel, ConsumerLagProbe, DeadLetterSummary, NotificationFilter, NotificationSummary } from './ports/admin-read-model.js';

export interface Overview {
  readonly notifications: NotificationSummary[];
  readonly filter: NotificationFilter;
  readonly deadLetters: DeadLetterSummary[];
  readonly activity: Activity & { readonly consumerLag: number | null };
}

export class AdminOverview {
  constructor(
    private readonly readModel: AdminReadModel,
    private readonly lag: ConsumerLagProbe | undefined,
  ) {}

  async execute(filter: NotificationFilter = {}, limit = 50): Promise<Overview> {
    const [notifications, deadLetters, activity, consumerLag] = await Promise.all([
      this.readModel.recentNotifications(filter, limit),
      this.readModel.deadLetters(limit),
      this.readModel.activity(),
      // Lag is an extra: when the broker cannot say, the page shows a dash, not an error.
      this.lag ? this.lag.total().catch(() => null) : Promise.resolve(null),
    ]);
    return { notifications, filter, deadLetters, activity: { ...activity, consumerLag } };
  }
}
