import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrometheusMetrics } from '../../src/adapters/metrics/prometheus-metrics.js';
import { cpuPerOp } from './measure.js';

// The idle floor the metrics add to a process: CPU ms per second of a process doing nothing else, with and without them.
const IDLE_MS = 6_000;
const mode = process.argv[2];
if (mode === 'bare' || mode === 'metrics') {
  const keep = mode === 'metrics' ? new PrometheusMetrics({ role: 'bench' }, 1) : undefined;
  const alive = setInterval(() => undefined, 60_000);
  await sleep(1_000);
  const before = process.cpuUsage();
  await sleep(IDLE_MS);
  const used = process.cpuUsage(before);
  process.send?.({ msPerSecond: (used.user + used.system) / IDLE_MS, metrics: keep ? 'yes' : 'no' });
  clearInterval(alive);
  process.exit(0);
}

const idle = async (child: string) => {
  const worker = fork(new URL(import.meta.url), [child], { execArgv: ['--import', 'tsx'] });
  return new Promise<number>((resolve) => worker.once('message', (message) => resolve((message as { msPerSecond: number }).msPerSecond)));
};
for (let round = 0; round < 2; round++) {
  const [bare, metrics] = await Promise.all([idle('bare'), idle('metrics')]);
  console.log(`idle CPU, round ${round + 1}: bare process ${bare.toFixed(2)} ms/s, with PrometheusMetrics ${metrics.toFixed(2)} ms/s (+${(metrics - bare).toFixed(2)})`);
}
const metrics = new PrometheusMetrics({ role: 'bench' }, 1);
await cpuPerOp('scrape (registry.metrics())', 500, async (count) => {
  for (let i = 0; i < count; i++) await metrics.exposition();
});
process.exit(0);
