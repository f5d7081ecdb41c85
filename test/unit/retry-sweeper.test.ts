import { expect } from 'chai';
import { RetrySweeper } from '../../src/application/retry-sweeper.js';
import { capturingLogger } from '../support/logs.js';

async function until(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A scripted SendDueNotifications: each sweep answers the next of `answers` (a count taken, or an error), then 0. */
function dueNotifications(answers: (number | Error)[]) {
  const limits: number[] = [];
  return {
    limits,
    execute: async (limit: number): Promise<number> => {
      limits.push(limit);
      const answer = answers.shift() ?? 0;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

function leaseRenewal(failWith?: Error) {
  const renewal = { renewals: 0, execute: async (): Promise<void> => {
    renewal.renewals += 1;
    if (failWith) throw failWith;
  } };
  return renewal;
}

describe('RetrySweeper', () => {
  it('sweeps again at once after a full batch, and waits the sweep interval after a partial one', async () => {
    const sendDue = dueNotifications([3, 3, 1]);
    const sweeper = new RetrySweeper(sendDue, leaseRenewal(), capturingLogger().logger, { renewEveryMs: 10_000, batchSize: 3, sweepEveryMs: 300 });
    await sweeper.start();
    try {
      await until(() => sendDue.limits.length >= 3, 'three sweeps');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(sendDue.limits, 'two full batches and a partial one, then a pause').to.deep.equal([3, 3, 3]);
      await until(() => sendDue.limits.length >= 4, 'the sweep after the pause');
    } finally {
      await sweeper.stop();
    }
  });

  it('logs a failed sweep, pauses, and sweeps again', async () => {
    const sendDue = dueNotifications([new Error('ledger unreachable')]);
    const { logger, lines } = capturingLogger();
    const sweeper = new RetrySweeper(sendDue, leaseRenewal(), logger, { renewEveryMs: 10_000, sweepEveryMs: 5, pauseAfterFailureMs: 20 });
    await sweeper.start();
    try {
      await until(() => sendDue.limits.length >= 2, 'a sweep after the failure');
      expect(lines.find((line) => line.msg === 'retry sweep failed')).to.deep.include({ level: 'warn', error: 'ledger unreachable' });
    } finally {
      await sweeper.stop();
    }
  });

  it('renews the leases on their own interval, and goes on after a renewal fails', async () => {
    const renewal = leaseRenewal(new Error('ledger unreachable'));
    const { logger, lines } = capturingLogger();
    const sweeper = new RetrySweeper(dueNotifications([]), renewal, logger, { renewEveryMs: 10, sweepEveryMs: 1000 });
    await sweeper.start();
    try {
      await until(() => renewal.renewals >= 2, 'a renewal after a failed one');
      expect(lines.find((line) => line.msg === 'lease renewal failed')).to.deep.include({ level: 'warn', error: 'ledger unreachable' });
    } finally {
      await sweeper.stop();
    }
  });

  it('keeps renewing while a sweep waits on slow sends', async () => {
    let finishSweep!: () => void;
    const slowSweep = { execute: () => new Promise<number>((resolve) => (finishSweep = () => resolve(0))) };
    const renewal = leaseRenewal();
    const sweeper = new RetrySweeper(slowSweep, renewal, capturingLogger().logger, { renewEveryMs: 5 });
    await sweeper.start();
    await until(() => renewal.renewals >= 3, 'renewals during the sweep');
    const stopped = sweeper.stop();
    finishSweep();
    await stopped;
  });

  it('stops without waiting out its intervals, after the sweep under way', async () => {
    const sendDue = dueNotifications([]);
    const sweeper = new RetrySweeper(sendDue, leaseRenewal(), capturingLogger().logger, { renewEveryMs: 60_000, sweepEveryMs: 60_000 });
    await sweeper.start();
    await until(() => sendDue.limits.length === 1, 'the first sweep');
    const started = Date.now();
    await sweeper.stop();
    expect(Date.now() - started).to.be.below(1000);
    expect(sendDue.limits).to.have.length(1);
  });
});
