import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { NotifierStack } from '../support/notifier-stack.js';
import { eventually } from '../support/processes.js';

const PARTITIONS = 6;
const GC_PRESSURE = fileURLToPath(new URL('../support/gc-pressure.mjs', import.meta.url));

/** orderIds that kafkajs's default partitioner puts on one partition, so one produce request carries them all. */
function orderIdsOnOnePartition(count: number, prefix: string): string[] {
  const partitionOf = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1] }));
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) {
    const orderId = `${prefix}-${n}`;
    const args = { topic: 't', partitionMetadata, message: { key: orderId, value: null } } as unknown as PartitionerArgs;
    if (partitionOf(args) === 0) ids.push(orderId);
  }
  return ids;
}

/** 100 items of 128 three-byte characters: the largest order the api accepts, about 40 KB of JSON. */
function largestItems(seed: number): string[] {
  return Array.from({ length: 100 }, (_, item) => Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x4e00 + ((seed * 977 + item * 131 + i) % 20000))).join(''));
}

/** The longest time an order waited in the outbox, and the slowest orders' time in the outbox and from publishing to their email. */
async function slowestOf(stack: NotifierStack, orderIds: string[]): Promise<{ outboxMs: number; text: string }> {
  const { rows } = await stack.pool.query<{ key: string; outbox_ms: number; notify_ms: number }>(
    `SELECT o.key, extract(epoch FROM o.published_at - o.created_at) * 1000 AS outbox_ms,
            extract(epoch FROM n.sent_at - o.published_at) * 1000 AS notify_ms
       FROM outbox o LEFT JOIN notifications n ON n.order_id = o.key WHERE o.key = ANY($1) ORDER BY 2 DESC LIMIT 3`,
    [orderIds],
  );
  const text = `slowest (ms in the outbox, then from publishing to sent): ${rows.map((r) => `${r.key} ${Math.round(r.outbox_ms)} + ${Math.round(r.notify_ms)}`).join(', ')}`;
  return { outboxMs: Number(rows[0]?.outbox_ms ?? 0), text };
}

describe('Nothing stuck: the relay and the notifier under large bursts and garbage collection (real processes)', function () {
  this.timeout(180_000);
  let stack: NotifierStack;

  afterEach(async () => {
    await stack?.stop();
  });

  it('emails every order of a burst of the largest orders aimed at one partition, mixed with small ones, once each; nothing is parked', async () => {
    stack = await NotifierStack.start({ KAFKA_PARTITIONS: String(PARTITIONS) });
    await stack.startNotifier();
    const large = orderIdsOnOnePartition(60, 'L');
    const small = Array.from({ length: 40 }, (_, i) => `S-${i}`);
    await Promise.all([
      ...large.map((orderId, i) => stack.order(orderId, undefined, largestItems(i))),
      ...small.map((orderId) => stack.order(orderId)),
    ]);
    const all = [...large, ...small];
    await eventually(async () => all.every((id) => stack.emailsByOrder().has(id)), `all ${all.length} orders emailed (${stack.emailsByOrder().size} so far)`, 90_000, 250);
    const counts = stack.emailsByOrder();
    expect(all.filter((id) => counts.get(id) !== 1), 'orders not emailed exactly once').to.deep.equal([]);
    const health = (await (await fetch(`${stack.base}/health`)).json()) as { checks: { relay: { parked: number; backlog: number } } };
    expect(health.checks.relay).to.deep.include({ parked: 0, backlog: 0 });
  });

  it('emails the last order of every burst within the poll interval and a margin, with both roles collecting garbage all the time', async () => {
    stack = await NotifierStack.start({ NODE_OPTIONS: `--expose-gc --import=${GC_PRESSURE}`, RELAY_POLL_INTERVAL_MS: '500' });
    await stack.startNotifier();
    for (let burst = 0; burst < 4; burst++) {
      const ids = Array.from({ length: 20 }, (_, i) => `B${burst}-${i}`);
      await Promise.all(ids.map((orderId) => stack.order(orderId)));
      const accepted = Date.now();
      await eventually(async () => ids.every((id) => stack.emailsByOrder().has(id)), `burst ${burst}: all 20 emailed`, 60_000, 50);
      const slowest = await slowestOf(stack, ids);
      // The poll interval (500 ms) plus a wide margin for a busy CI machine; a relay asleep waits for ever
      // (70 s seen, until an unrelated order woke it).
      expect(slowest.outboxMs, `burst ${burst}: the relay published its last order; ${slowest.text}`).to.be.below(500 + 3000);
      expect(Date.now() - accepted, `burst ${burst}: its last order emailed; ${slowest.text}`).to.be.below(500 + 15_000);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // silence: the relay and the consumer go back to waiting
    }
    expect([...stack.emailsByOrder().values()].every((n) => n === 1), 'each order emailed once').to.equal(true);
  });
});
