import { expect } from 'chai';
import { InProcessEventChannel, type EventDispatch } from '../../src/adapters/memory/in-process-event-channel.js';
import { DependencyUnavailableError } from '../../src/application/errors.js';
import type { OutgoingEvent } from '../../src/application/ports/outbox.js';
import { silentLogger } from '../support/logs.js';

/** An event named `<aggregate><n>`: `a1` is the first event of aggregate `a`. */
function anEvent(name: string): OutgoingEvent {
  return { event: { type: 'order.status-changed', version: 1, aggregateId: name.replace(/\d+$/, ''), payload: { name } }, metadata: {} };
}

const nameOf = (event: { payload: object }): string => (event.payload as { name: string }).name;

/** A dispatch table that records what it handles and finishes each event only when the test says so. */
class ControlledDispatch implements EventDispatch {
  readonly started: string[] = [];
  private readonly pending = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();

  execute: EventDispatch['execute'] = (decoded) => {
    if (!decoded.ok) throw new Error('the channel only carries decoded events');
    const name = nameOf(decoded.event);
    this.started.push(name);
    return new Promise<void>((resolve, reject) => this.pending.set(name, { resolve, reject }));
  };

  get running(): string[] {
    return [...this.pending.keys()];
  }

  finish(name: string): void {
    this.take(name).resolve();
  }

  fail(name: string): void {
    this.take(name).reject(new DependencyUnavailableError('postgres'));
  }

  private take(name: string): { resolve: () => void; reject: (error: Error) => void } {
    const handling = this.pending.get(name);
    if (!handling) throw new Error(`${name} is not being handled; running: ${this.running.join(', ')}`);
    this.pending.delete(name);
    return handling;
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Gives every worker the chance to take an event it may take, so that "not started" means "held back". */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('InProcessEventChannel: the events of one aggregate one at a time, in their order', () => {
  let channel: InProcessEventChannel;
  let dispatch: ControlledDispatch;

  beforeEach(() => {
    channel = new InProcessEventChannel(silentLogger(), { concurrency: 4, retryDelayMs: 5 });
    dispatch = new ControlledDispatch();
  });
  afterEach(async () => {
    for (const name of dispatch.running) dispatch.finish(name);
    await channel.stop();
  });

  it("hands other aggregates' events to free workers while an aggregate's next event waits for its previous one", async () => {
    channel.consume(dispatch);
    await channel.publish(['a1', 'a2', 'b1', 'a3', 'c1'].map(anEvent));
    await until(() => dispatch.running.length === 3, 'three events in hand');
    await settle();
    expect(dispatch.running).to.deep.equal(['a1', 'b1', 'c1']);
    dispatch.finish('a1');
    await until(() => dispatch.running.includes('a2'), 'a2 handed over');
    await settle();
    expect(dispatch.running).to.not.include('a3');
    dispatch.finish('a2');
    await until(() => dispatch.running.includes('a3'), 'a3 handed over');
    expect(dispatch.started.filter((name) => name.startsWith('a'))).to.deep.equal(['a1', 'a2', 'a3']);
    expect(channel.depth).to.equal(0);
  });

  it('reports the events queued and not yet handed over as its consumer lag', async () => {
    await channel.publish(['a1', 'b1'].map(anEvent));
    expect(await channel.total(), 'nothing consumes yet').to.equal(2);
    channel.consume(dispatch);
    await until(() => dispatch.running.length === 2, 'both events in hand');
    expect(await channel.total()).to.equal(0);
  });

  it('redelivers an event whose handling failed before any later event of its aggregate', async () => {
    channel.consume(dispatch);
    await channel.publish(['a1', 'a2', 'b1'].map(anEvent));
    await until(() => dispatch.running.length === 2, 'a1 and b1 in hand');
    dispatch.fail('a1');
    dispatch.finish('b1');
    await until(() => dispatch.started.length === 3, 'a1 handed over again');
    await settle();
    expect(dispatch.started).to.deep.equal(['a1', 'b1', 'a1']);
    dispatch.finish('a1');
    await until(() => dispatch.running.includes('a2'), 'a2 handed over');
    expect(dispatch.started).to.deep.equal(['a1', 'b1', 'a1', 'a2']);
  });

  it('keeps every aggregate in order when many events of few aggregates finish in a scrambled order', async () => {
    const inHand = new Map<string, number>();
    const seen: string[] = [];
    const overlaps: string[] = [];
    let mostAtOnce = 0;
    const scrambled: EventDispatch = {
      execute: async (decoded) => {
        if (!decoded.ok) throw new Error('the channel only carries decoded events');
        const { aggregateId } = decoded.event;
        inHand.set(aggregateId, (inHand.get(aggregateId) ?? 0) + 1);
        if (inHand.get(aggregateId) !== 1) overlaps.push(nameOf(decoded.event));
        mostAtOnce = Math.max(mostAtOnce, [...inHand.values()].reduce((sum, n) => sum + n, 0));
        seen.push(nameOf(decoded.event));
        // Each event takes a different number of turns of the event loop: later events often finish first.
        for (let turns = (seen.length * 7) % 5; turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve));
        const left = (inHand.get(aggregateId) ?? 1) - 1;
        if (left === 0) inHand.delete(aggregateId);
        else inHand.set(aggregateId, left);
      },
    };
    const names = Array.from({ length: 20 }, (_, n) => ['a', 'b', 'c', 'd', 'e'].map((aggregate) => `${aggregate}${n + 1}`)).flat();
    channel.consume(scrambled);
    await channel.publish(names.map(anEvent));
    await until(() => seen.length === names.length, 'every event handled');
    expect(overlaps, 'events handled while another of their aggregate was').to.deep.equal([]);
    for (const aggregate of ['a', 'b', 'c', 'd', 'e'])
      expect(seen.filter((name) => name.replace(/\d+$/, '') === aggregate)).to.deep.equal(names.filter((name) => name.startsWith(aggregate)));
    expect(mostAtOnce).to.equal(4);
  });
});
