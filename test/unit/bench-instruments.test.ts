import { expect } from 'chai';
import { componentOf, topSelfTime } from '../../bench/cpu-profile.js';
import { readProcessCpu } from '../../bench/cpu-sampler.js';
import { summarisePerf } from '../../bench/perf-profile.js';
import { laterRunStart, nextStep, type Outcome } from '../../bench/ramp.js';

/** A profile whose samples fall, in order, on the nodes named; each sample lasts `us` microseconds. */
function aProfile(frames: Record<number, { functionName: string; url?: string; lineNumber?: number }>, samples: number[], us = 1000) {
  return {
    nodes: Object.entries(frames).map(([id, frame]) => ({ id: Number(id), callFrame: { url: '', lineNumber: 0, ...frame } })),
    samples,
    // timeDeltas[i] is the time before sample i: each sample's duration is the next delta.
    timeDeltas: samples.map(() => us),
    startTime: 0,
    endTime: samples.length * us,
  };
}

describe('the bench instruments', () => {
  it('ranks functions by self time, one line per function whatever the call path, idle left out of the busy time', () => {
    const profile = aProfile(
      {
        1: { functionName: '(idle)' },
        2: { functionName: 'render', url: 'file:///repo/dist/email.js', lineNumber: 9 },
        3: { functionName: 'render', url: 'file:///repo/dist/email.js', lineNumber: 9 },
        4: { functionName: 'writev' },
      },
      [1, 2, 3, 4, 2, 1, 1],
    );
    const summary = topSelfTime(profile, '/repo', 15);
    expect(summary.top.map((t) => [t.function, t.location, t.selfMs])).to.deep.equal([
      ['render', 'dist/email.js:10', 3],
      ['writev', '', 1],
    ]);
    expect(summary.busyMs).to.equal(4);
    expect(summary.top[0]?.percentOfBusy).to.equal(75);
  });

  it('sums self time by package, directory of ours, node module or VM, largest first', () => {
    const profile = aProfile(
      {
        1: { functionName: 'write', url: 'file:///repo/node_modules/pg/lib/client.js' },
        2: { functionName: 'encode', url: 'file:///repo/node_modules/@smithy/x/dist/index.js' },
        3: { functionName: 'handle', url: 'file:///repo/dist/adapters/kafka/consumer.js' },
        4: { functionName: 'writev' },
        5: { functionName: '(garbage collector)' },
        6: { functionName: 'Readable.push', url: 'node:internal/streams/readable' },
        7: { functionName: '(idle)' },
      },
      // The last sample has no duration: it ends the profile.
      [1, 1, 1, 2, 3, 3, 4, 5, 6, 7],
    );
    expect(topSelfTime(profile, '/repo').byComponent.map((c) => [c.component, c.selfMs])).to.deep.equal([
      ['pg', 3],
      ['dist/adapters/kafka', 2],
      ['@smithy/x', 1],
      ['native (system calls, builtins)', 1],
      ['gc', 1],
      ['node:internal/streams', 1],
    ]);
    expect(componentOf({ functionName: 'main', url: 'file:///repo/dist/main.js' }, '/repo')).to.equal('dist');
  });

  it("sums perf's report by group of processes, by where the code is and by symbol, idle and strangers left out", () => {
    const report = [
      '# Samples: 10K of event cpu-clock',
      ' 40.00% \t      0:swapper        \t[kernel.kallsyms]   \t[k] pvm_safe_halt_hc',
      ' 20.00% \t    101:node           \t[JIT] tid 101       \t[.] JS:*written file:///repo/dist/adapters/smtp/mime-message.js:60:17',
      ' 10.00% \t    102:node           \tnode                \t[.] Builtins_RecordWriteSaveFP',
      '  5.00% \t    101:node           \t[kernel.kallsyms]   \t[k] tcp_sendmsg',
      '  5.00% \t    101:node           \t[JIT] tid 101       \t[.] JS:~written file:///repo/dist/adapters/smtp/mime-message.js:60:17',
      ' 15.00% \t   2001:postgres       \tpostgres            \t[.] hash_search_with_hash_value',
      '  5.00% \t   3001:bash           \tbash                \t[.] main',
      '',
    ].join('\n');
    // Thread 102 is a thread of process 101, the notifier.
    const groups = summarisePerf(report, (tid, command) => (tid === 0 ? undefined : tid === 101 || tid === 102 ? 'notifier' : command === 'postgres' ? 'pg' : undefined));
    expect(groups.map((g) => [g.group, g.percentOfBox])).to.deep.equal([
      ['notifier', 40],
      ['pg', 15],
    ]);
    const notifier = groups[0];
    expect(notifier?.byDso).to.deep.equal([
      { dso: 'JIT (JavaScript)', percent: 62.5 },
      { dso: 'node (V8, libuv, builtins)', percent: 25 },
      { dso: 'kernel', percent: 12.5 },
    ]);
    expect(notifier?.top[0]).to.deep.equal({ symbol: 'written file:///repo/dist/adapters/smtp/mime-message.js:60:17', dso: 'JIT (JavaScript)', percent: 62.5 });

    // The report by symbol leaves out its smallest lines; the one by pid and DSO, with nothing left out, gives the shares.
    const totals = [' 40.00% \t      0:swapper        \t[kernel.kallsyms]', ' 30.00% \t    101:node           \t[JIT] tid 101', ' 20.00% \t    102:node           \tnode', ' 10.00% \t    101:node           \t[kernel.kallsyms]'].join('\n');
    const whole = summarisePerf(report, (tid) => (tid === 101 || tid === 102 ? 'notifier' : undefined), 15, totals);
    expect(whole.map((g) => [g.group, g.percentOfBox])).to.deep.equal([['notifier', 60]]);
    expect(whole[0]?.byDso[0]).to.deep.equal({ dso: 'JIT (JavaScript)', percent: 50 });
    expect(whole[0]?.top[0]?.percent, 'of the whole group').to.equal(41.7);
  });

  it('reads its own process CPU time from /proc, growing as it works', () => {
    const before = readProcessCpu(process.pid);
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user < 50_000) Math.sqrt(Math.random());
    const after = readProcessCpu(process.pid);
    expect(before?.cpuMs).to.be.a('number');
    // utime is counted in clock ticks (10 ms): 50 ms of work shows as at least 30.
    expect((after?.cpuMs as number) - (before?.cpuMs as number)).to.be.at.least(30);
    expect(after?.startTicks).to.equal(before?.startTicks);
    expect(readProcessCpu(2 ** 22 + 1)).to.equal(undefined);
  });

  describe('the sustained-rate ramp', () => {
    const GRID = [200, 400, 600, 800, 1000, 1200, 1600];
    /** The grid indexes a run tries, when the steps up to `limit` orders/s are sustained. */
    const walk = (start: number, limit: number): number[] => {
      const outcomes: Outcome[] = [];
      for (let index = nextStep(GRID.length, start, outcomes); index !== undefined; index = nextStep(GRID.length, start, outcomes))
        outcomes.push({ index, sustained: (GRID[index] as number) <= limit });
      return outcomes.map((o) => GRID[o.index] as number);
    };

    it('goes up from its start while the steps are sustained, and stops at the first that is not', () => {
      expect(walk(0, 600)).to.deep.equal([200, 400, 600, 800]);
      expect(walk(1, 600)).to.deep.equal([400, 600, 800]);
    });

    it('stops at the top of the grid when every step is sustained', () => {
      expect(walk(5, 5000)).to.deep.equal([1200, 1600]);
    });

    it('goes down when its first step is not sustained, until one is or the bottom fails', () => {
      expect(walk(3, 400)).to.deep.equal([800, 600, 400]);
      expect(walk(2, 100)).to.deep.equal([600, 400, 200]);
    });

    it('starts later runs one step below the first run\'s result, or at the bottom', () => {
      expect(laterRunStart(GRID, 800)).to.equal(2);
      expect(laterRunStart(GRID, 200)).to.equal(0);
      expect(laterRunStart(GRID, 0)).to.equal(0);
    });
  });
});
