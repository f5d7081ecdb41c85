import { expect } from 'chai';
import { InMemoryDeadLetters } from '../../src/adapters/memory/in-memory-dead-letters.js';
import { DispatchEvent } from '../../src/application/dispatch-event.js';
import { IgnoreEvent } from '../../src/application/ignore-event.js';
import { NO_METRICS, type Metrics } from '../../src/application/ports/metrics.js';
import type { Reaction } from '../../src/application/reaction.js';
import { RejectPoison } from '../../src/application/reject-poison.js';
import type { DomainEvent } from '../../src/domain/domain-event.js';
import { fixedClock } from '../support/builders.js';
import { capturingLogger } from '../support/logs.js';

const SHIPPED = { type: 'order.shipped', version: 1 } as const;
const source = { topic: 'orders', partition: 0, offset: '12' };

const anEvent = (kind: { type: string; version: number }): DomainEvent => ({ ...kind, aggregateId: 'A-1', payload: { orderId: 'A-1' } });

describe('IgnoreEvent: a kind this process deliberately does not react to', () => {
  let deadLetters: InMemoryDeadLetters;
  let counted: string[];
  let logs: ReturnType<typeof capturingLogger>;
  let metrics: Metrics;

  beforeEach(() => {
    deadLetters = new InMemoryDeadLetters();
    counted = [];
    logs = capturingLogger();
    metrics = { ...NO_METRICS, eventIgnored: (kind) => void counted.push(`ignored:${kind}`), deadLettered: (kind) => void counted.push(`deadLettered:${kind}`) };
  });

  const dispatcher = (reactions: Reaction[]): DispatchEvent => new DispatchEvent(reactions, new RejectPoison(deadLetters, fixedClock(), logs.logger, metrics), logs.logger);

  it('acknowledges an event of an ignored kind: counted, logged at debug, never dead-lettered', async () => {
    const dispatch = dispatcher([new IgnoreEvent(SHIPPED, logs.logger, metrics)]);
    await dispatch.execute({ ok: true, event: anEvent(SHIPPED), metadata: { correlationId: 'corr-3' }, source });
    expect(deadLetters.letters).to.deep.equal([]);
    expect(counted).to.deep.equal(['ignored:order.shipped@1']);
    expect(logs.lines.filter((line) => line.level !== 'debug')).to.deep.equal([]);
    expect(logs.lines.find((line) => line.msg === 'event ignored: nothing here reacts to it, by design')).to.deep.include({
      level: 'debug',
      eventType: 'order.shipped',
      version: 1,
      orderId: 'A-1',
      correlationId: 'corr-3',
      source,
    });
  });

  it('ignores that kind at that version only: another version of it is still poison', async () => {
    const dispatch = dispatcher([new IgnoreEvent(SHIPPED, logs.logger, metrics)]);
    await dispatch.execute({ ok: true, event: anEvent({ ...SHIPPED, version: 2 }), metadata: {}, source });
    expect(deadLetters.letters.map((letter) => [letter.kind, letter.reason])).to.deep.equal([['poison', 'unknown event: no reaction here handles order.shipped version 2']]);
    expect(counted).to.deep.equal(['deadLettered:poison']);
  });

  it('leaves an unknown kind poison: dead-lettered with its event, counted and alerted', async () => {
    const dispatch = dispatcher([new IgnoreEvent(SHIPPED, logs.logger, metrics)]);
    const event = anEvent({ type: 'order.teleported', version: 1 });
    await dispatch.execute({ ok: true, event, metadata: {}, source });
    expect(deadLetters.letters).to.have.length(1);
    expect(deadLetters.letters[0]).to.deep.include({ kind: 'poison', event, source });
    expect(counted).to.deep.equal(['deadLettered:poison']);
    expect(logs.lines.find((line) => line.msg === 'poison message dead-lettered')).to.include({ level: 'error', alert: true });
  });

  it('refuses a kind both ignored and reacted to: one row per kind', () => {
    const reaction: Reaction = { handles: SHIPPED, react: async () => undefined };
    expect(() => dispatcher([reaction, new IgnoreEvent(SHIPPED, logs.logger, metrics)])).to.throw(/order\.shipped@1/);
  });
});
