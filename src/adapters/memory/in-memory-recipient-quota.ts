import type { Clock } from '../../application/ports/clock.js';
import { QUOTA_WINDOW_MS, type RecipientQuota } from '../../application/ports/recipient-quota.js';

/** The per-recipient cap in this process: for unit tests; every check-and-take is synchronous, so race-free here. */
export class InMemoryRecipientQuota implements RecipientQuota {
  /** A notification's unit key → the unit it holds. */
  private readonly units = new Map<string, { recipient: string; takenAt: number }>();

  constructor(
    readonly perHour: number,
    private readonly clock: Clock,
  ) {}

  async take(recipient: string, unit: string): Promise<boolean> {
    const since = this.clock.now().getTime() - QUOTA_WINDOW_MS;
    const held = this.units.get(unit);
    if (held && held.recipient === recipient && held.takenAt > since) return true;
    let used = 0;
    for (const [other, taken] of this.units) if (other !== unit && taken.recipient === recipient && taken.takenAt > since) used++;
    if (used >= this.perHour) return false;
    this.units.set(unit, { recipient, takenAt: this.clock.now().getTime() });
    return true;
  }

  async prune(): Promise<number> {
    const since = this.clock.now().getTime() - QUOTA_WINDOW_MS;
    let pruned = 0;
    for (const [key, held] of this.units) {
      if (held.takenAt > since) continue;
      this.units.delete(key);
      pruned++;
    }
    return pruned;
  }
}
