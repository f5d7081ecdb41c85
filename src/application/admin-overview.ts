import type { Activity, AdminReadModel, ConsumerLagProbe, DeadLetterSummary, OrderSummary } from './ports/admin-read-model.js';

export interface Overview {
  readonly orders: OrderSummary[];
  readonly deadLetters: DeadLetterSummary[];
  readonly activity: Activity & { readonly consumerLag: number | null };
}

export class AdminOverview {
  constructor(
    private readonly readModel: AdminReadModel,
    private readonly lag: ConsumerLagProbe | undefined,
  ) {}

  async execute(limit = 50): Promise<Overview> {
    const [orders, deadLetters, activity, consumerLag] = await Promise.all([
      this.readModel.recentOrders(limit),
      this.readModel.deadLetters(limit),
      this.readModel.activity(),
      // Lag is an extra: when the broker cannot say, the page shows a dash, not an error.
      this.lag ? this.lag.total().catch(() => null) : Promise.resolve(null),
    ]);
    return { orders, deadLetters, activity: { ...activity, consumerLag } };
  }
}
