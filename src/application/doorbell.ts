/**
 * A wake-up that is never lost: a ring while nobody waits is remembered, and the next wait returns at once.
 * Waits end on a real timer (not AbortSignal.timeout, which Node may garbage-collect before it fires).
 */
export class Doorbell {
  private rung = false;
  private readonly waiters = new Set<() => void>();

  ring(): void {
    this.rung = true;
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves after a ring (past or future), `timeoutMs`, or `signal` aborting, whichever is first; never rejects. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.rung || signal?.aborted) {
        this.rung = false;
        return resolve();
      }
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        this.rung = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }
}
