import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { InMemoryNotificationLedger } from '../../src/adapters/memory/in-memory-notification-ledger.js';
import { PgNotificationLedger } from '../../src/adapters/postgres/pg-notification-ledger.js';
import { DataRejectedError } from '../../src/application/errors.js';
import type { NotificationJob, NotificationLedger } from '../../src/application/ports/notification-ledger.js';
import type { Notification, NotificationFailure, NotificationKind } from '../../src/domain/notification.js';
import { EVENT_MAX_BYTES } from '../../src/domain/domain-event.js';
import { ORDER_CREATED } from '../../src/domain/order-created.js';
import { embeddedDatabase, serverDatabase } from '../support/databases.js';

interface LedgerSubject {
  ledger: NotificationLedger;
  close(): Promise<void>;
}

/** A notification of a new order, or of `kind` for the same order as `of`. */
function aNotification(kind: NotificationKind = 'order-created', of?: Notification): Notification {
  const orderId = of?.orderId ?? `o-${randomUUID()}`;
  const internalId = of?.internalId ?? randomUUID();
  const createdAt = new Date().toISOString();
  const payload = { id: internalId, orderId, itemId: ['a'], createdAt };
  return { orderId, kind, channel: 'email', internalId, event: { ...ORDER_CREATED, aggregateId: orderId, payload }, occurredAt: createdAt };
}
const anEvent = (): Notification => aNotification();
const anEndpointId = (): string => `ep_${randomBytes(12).toString('hex')}`;
/** The webhook delivery of `kind` to one endpoint, for the order of `of` (a new order without). */
const aDelivery = (endpointId: string, kind: NotificationKind = 'order-created', of?: Notification): Notification => ({ ...aNotification(kind, of), channel: 'webhook', endpointId });
const labelsOf = (jobs: readonly NotificationJob[]): string[] => jobs.map((j) => `${j.notification.kind}${j.notification.endpointId === undefined ? '' : `@${j.notification.endpointId}`}`);
const past = (): Date => new Date(Date.now() - 1000);
const future = (): Date => new Date(Date.now() + 60_000);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function notificationLedgerContract(makeSubject: () => Promise<LedgerSubject>): void {
  let subject: LedgerSubject;
  let ledger: NotificationLedger;
  beforeEach(async () => {
    subject = await makeSubject();
    ledger = subject.ledger;
  });
  afterEach(() => subject.close());

  it('claims a new order once; a second claim sees it being sent', async () => {
    const event = anEvent();
    const first = await ledger.claim(event, { correlationId: 'c1', source: { topic: 't', partition: 1, offset: '7' } }, 'a', 60_000);
    expect(first.claimed).to.equal(true);
    if (first.claimed) expect(first.job).to.deep.include({ notification: event, correlationId: 'c1', attempts: 0, source: { topic: 't', partition: 1, offset: '7' } });
    const second = await ledger.claim(event, {}, 'b', 60_000);
    expect(second).to.deep.include({ claimed: false });
    if (!second.claimed) expect(second.state.status).to.equal('sending');
  });

  it('lets exactly one of ten concurrent claims win', async () => {
    const event = anEvent();
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.claim(event, {}, `owner-${i}`, 60_000)));
    expect(claims.filter((c) => c.claimed)).to.have.length(1);
  });

  it('never gives out a sent order again and reports it sent with its Message-ID', async () => {
    const event = anEvent();
    await ledger.claim(event, {}, 'a', 60_000);
    await ledger.markSent(event, 'a', '<m-1@x>');
    expect(await ledger.stateOf(event)).to.deep.include({ status: 'sent', messageId: '<m-1@x>' });
    expect((await ledger.claim(event, {}, 'b', 1)).claimed).to.equal(false);
    expect(await ledger.claimDue(10, 'b', 1, 'email')).to.have.length(0);
  });

  it('records which SMTP provider took an email, keeps the first when a second copy is recorded, and names none for a webhook delivery', async () => {
    const email = anEvent();
    await ledger.claim(email, {}, 'a', 60_000);
    await ledger.markSent(email, 'a', '<m-1@x>', 'mail-b.example.com:465');
    expect(await ledger.stateOf(email)).to.deep.include({ status: 'sent', messageId: '<m-1@x>', provider: 'mail-b.example.com:465' });
    expect(await ledger.statesOf(email.orderId)).to.deep.equal([{ kind: 'order-created', channel: 'email', ...(await ledger.stateOf(email)) }]);
    // A copy sent after a take-over (the documented window) leaves the first record as it was.
    await ledger.markSent(email, 'b', '<m-1@x>', 'mail-a.example.com:587');
    expect(await ledger.stateOf(email)).to.deep.include({ provider: 'mail-b.example.com:465' });

    const delivery = aDelivery(anEndpointId());
    await ledger.enqueue([delivery], {});
    await ledger.claimDue(10, 'w', 60_000, 'webhook');
    await ledger.markSent(delivery, 'w', 'msg_1');
    expect(await ledger.stateOf(delivery)).to.deep.include({ status: 'sent', messageId: 'msg_1' }).and.not.to.have.property('provider');
  });

  it('hands a scheduled retry out only once it is due, with its attempt count', async () => {
    const later = anEvent();
    const due = anEvent();
    for (const e of [later, due]) await ledger.claim(e, {}, 'a', 60_000);
    await ledger.scheduleRetry(later, 'a', { attempts: 1, kind: 'temporary-failure', error: '421', dueAt: future() });
    await ledger.scheduleRetry(due, 'a', { attempts: 2, kind: 'temporary-failure', error: '450', dueAt: past() });
    const jobs = await ledger.claimDue(10, 'b', 60_000, 'email');
    expect(jobs.map((j) => j.notification.orderId)).to.deep.equal([due.orderId]);
    expect(jobs[0]?.attempts).to.equal(2);
    expect(jobs[0]?.firstFailedAt).to.be.instanceOf(Date);
    expect(await ledger.stateOf(later)).to.deep.include({ status: 'failed', attempts: 1, lastError: '421', failureKind: 'temporary-failure' });
  });

  it('ignores updates from a notifier that no longer holds the order', async () => {
    const event = anEvent();
    await ledger.claim(event, {}, 'a', 60_000);
    await ledger.scheduleRetry(event, 'intruder', { attempts: 3, kind: 'temporary-failure', error: 'x', dueAt: past() });
    expect(await ledger.stateOf(event)).to.deep.include({ status: 'sending', attempts: 0 });
  });

  it('lets another notifier take over an order once its lease has expired', async () => {
    const event = anEvent();
    await ledger.claim(event, {}, 'crashed', 20);
    await pause(60);
    const jobs = await ledger.claimDue(10, 'b', 60_000, 'email');
    expect(jobs.map((j) => j.notification.orderId)).to.deep.equal([event.orderId]);
  });

  it('keeps an order whose lease its holder renews, and renews only what that holder still holds', async () => {
    const kept = anEvent();
    const lost = anEvent();
    await ledger.claim(kept, {}, 'a', 100);
    await ledger.claim(lost, {}, 'other', 100);
    await ledger.renew([kept, lost], 'a', 60_000);
    await pause(150);
    const jobs = await ledger.claimDue(10, 'b', 60_000, 'email');
    expect(jobs.map((j) => j.notification.orderId)).to.deep.equal([lost.orderId]);
    expect((await ledger.claim(kept, {}, 'b', 60_000)).claimed).to.equal(false);
  });

  it('releases an order without counting an attempt', async () => {
    const event = anEvent();
    await ledger.claim(event, {}, 'a', 60_000);
    await ledger.release(event, 'a', past(), { kind: 'smtp-unreachable', error: 'connect ECONNREFUSED 127.0.0.1:2651' });
    expect(await ledger.stateOf(event)).to.deep.include({ status: 'failed', failureKind: 'smtp-unreachable', lastError: 'connect ECONNREFUSED 127.0.0.1:2651' });
    const [job] = await ledger.claimDue(10, 'b', 60_000, 'email');
    expect(job?.attempts).to.equal(0);
  });

  it('makes a dead order sendable again on reset, and only a dead one', async () => {
    const event = anEvent();
    await ledger.claim(event, {}, 'a', 60_000);
    expect(await ledger.resetDead(event)).to.equal(false);
    await ledger.markDead(event, 'a', { attempts: 6, kind: 'temporary-failure', error: '450 mailbox busy' });
    expect(await ledger.stateOf(event)).to.deep.include({ status: 'dead', attempts: 6, failureKind: 'temporary-failure' });
    expect(await ledger.claimDue(10, 'b', 60_000, 'email')).to.have.length(0);
    expect(await ledger.resetDead(event)).to.equal(true);
    const [job] = await ledger.claimDue(10, 'b', 60_000, 'email');
    expect(job?.notification.orderId).to.equal(event.orderId);
    expect(job?.attempts).to.equal(0);
  });

  it('keeps the count of unknown outcomes across a release, a retry and a take-over, and forgets it on reset', async () => {
    const event = anEvent();
    const first = await ledger.claim(event, {}, 'a', 60_000);
    if (first.claimed) expect(first.job.unknownOutcomes).to.equal(0);
    await ledger.recordUnknownOutcome(event);
    await ledger.release(event, 'a', past(), { kind: 'smtp-unreachable', error: 'connection lost after the final dot, server unreachable' });
    const [deferred] = await ledger.claimDue(10, 'b', 60_000, 'email');
    expect(deferred).to.deep.include({ attempts: 0, unknownOutcomes: 1 });

    await ledger.recordUnknownOutcome(event);
    await ledger.scheduleRetry(event, 'b', { attempts: 1, kind: 'smtp-unreachable', error: 'connection lost after the final dot', dueAt: past() });
    const [retried] = await ledger.claimDue(10, 'c', 60_000, 'email');
    expect(retried).to.deep.include({ attempts: 1, unknownOutcomes: 2 });

    await ledger.markDead(event, 'c', { attempts: 2, kind: 'smtp-unreachable', error: 'outcome unknown twice' });
    expect(await ledger.resetDead(event)).to.equal(true);
    const [replayed] = await ledger.claimDue(10, 'd', 60_000, 'email');
    expect(replayed).to.deep.include({ attempts: 0, unknownOutcomes: 0 });
  });

  it('records an unknown outcome whoever holds the order now: the server may have the email all the same', async () => {
    const event = anEvent();
    await ledger.claim(event, {}, 'slow', 20);
    await pause(60);
    const [taken] = await ledger.claimDue(10, 'b', 60_000, 'email');
    expect(taken?.notification.orderId).to.equal(event.orderId);
    await ledger.recordUnknownOutcome(event);
    await ledger.release(event, 'b', past(), { kind: 'smtp-unreachable', error: 'deferred' });
    const [job] = await ledger.claimDue(10, 'c', 60_000, 'email');
    expect(job?.unknownOutcomes).to.equal(1);
  });

  it('records a skipped order with its reason', async () => {
    const event = anEvent();
    await ledger.claim(event, {}, 'a', 60_000);
    await ledger.markSkipped(event, 'a', { kind: 'no-recipient', error: 'no recipient' });
    expect(await ledger.stateOf(event)).to.deep.include({ status: 'skipped', lastError: 'no recipient', failureKind: 'no-recipient' });
  });

  it('records the kind of each failure with its text, and forgets both once the email is sent', async () => {
    const event = anEvent();
    await ledger.claim(event, {}, 'a', 60_000);
    await ledger.scheduleRetry(event, 'a', { attempts: 1, kind: 'rate-limited', error: '450 4.4.5 quota', dueAt: past() });
    expect(await ledger.stateOf(event)).to.deep.include({ failureKind: 'rate-limited', lastError: '450 4.4.5 quota' });
    await ledger.claimDue(10, 'a', 60_000, 'email');
    await ledger.release(event, 'a', past(), { kind: 'auth-failed', error: '535 5.7.8 bad credentials' });
    expect(await ledger.stateOf(event)).to.deep.include({ failureKind: 'auth-failed', attempts: 1 });
    await ledger.claimDue(10, 'a', 60_000, 'email');
    await ledger.markSent(event, 'a', '<m@x>');
    const sent = await ledger.stateOf(event);
    expect(sent).to.not.have.property('failureKind');
    expect(sent).to.not.have.property('lastError');
  });

  it('knows nothing of an order no notifier has seen', async () => {
    expect(await ledger.stateOf({ orderId: 'unknown', kind: 'order-created', channel: 'email' })).to.equal(null);
    expect(await ledger.statesOf('unknown')).to.deep.equal([]);
  });

  describe('many callers at once (a notifier claims and records a chunk of events together)', () => {
    it('claims each of many notifications of different orders exactly once, whoever asks at the same time', async () => {
      const events = Array.from({ length: 150 }, () => anEvent());
      const first = await Promise.all(events.map((event, i) => ledger.claim(event, { correlationId: `c-${i}` }, 'a', 60_000)));
      expect(first.every((claim) => claim.claimed)).to.equal(true);
      first.forEach((claim, i) => {
        if (claim.claimed) expect(claim.job).to.deep.include({ notification: events[i], correlationId: `c-${i}`, attempts: 0 });
      });
      const again = await Promise.all(events.flatMap((event) => [ledger.claim(event, {}, 'a', 60_000), ledger.claim(event, {}, 'b', 60_000)]));
      expect(again.filter((claim) => claim.claimed)).to.have.length(0);
      await Promise.all(events.map((event, i) => ledger.markSent(event, 'a', `<m-${i}@x>`, 'mail.example.com:587')));
      const states = await Promise.all(events.map((event) => ledger.stateOf(event)));
      states.forEach((state, i) => expect(state).to.deep.include({ status: 'sent', messageId: `<m-${i}@x>`, provider: 'mail.example.com:587' }));
    });

    it('claims and records a burst of the largest events (64 KB each) at once, each exactly once with its event intact', async () => {
      const events = Array.from({ length: 80 }, () => {
        const notification = aNotification();
        return { ...notification, event: { ...notification.event, payload: { ...notification.event.payload, blob: 'x'.repeat(EVENT_MAX_BYTES - 200) } } };
      });
      const claims = await Promise.all(events.map((event) => ledger.claim(event, {}, 'a', 60_000)));
      claims.forEach((claim, i) => {
        expect(claim.claimed, `claim ${i}`).to.equal(true);
        if (claim.claimed) expect(claim.job.notification.event.payload).to.deep.equal(events[i]?.event.payload);
      });
      await Promise.all(events.map((event, i) => ledger.markSent(event, 'a', `<big-${i}@x>`)));
      const states = await Promise.all(events.map((event) => ledger.stateOf(event)));
      states.forEach((state, i) => expect(state).to.deep.include({ status: 'sent', messageId: `<big-${i}@x>` }));
    });

    it('keeps each order\'s notifications in the order they came when they are claimed at once: the later one waits', async () => {
      const created = Array.from({ length: 40 }, () => aNotification());
      const shipped = created.map((first) => aNotification('order-shipped', first));
      const claims = await Promise.all(created.flatMap((first, i) => [ledger.claim(first, {}, 'a', 60_000), ledger.claim(shipped[i] as Notification, {}, 'a', 60_000)]));
      claims.forEach((claim, i) => {
        if (i % 2 === 0) expect(claim.claimed, `created ${i / 2}`).to.equal(true);
        else expect(claim, `shipped ${(i - 1) / 2}`).to.deep.equal({ claimed: false, state: { status: 'pending', attempts: 0 } });
      });
      await Promise.all(created.map((first) => ledger.markSent(first, 'a', '<m@x>')));
      const due = await ledger.claimDue(100, 'b', 60_000, 'email');
      expect(due.map((job) => job.notification.orderId).sort()).to.deep.equal(shipped.map((n) => n.orderId).sort());
      expect(labelsOf(due).every((label) => label === 'order-shipped')).to.equal(true);
    });

    it('renews leases while claims and sent records of the same notifications go on, losing none of them', async () => {
      const events = Array.from({ length: 60 }, () => anEvent());
      await Promise.all(events.map((event) => ledger.claim(event, {}, 'a', 60_000)));
      const renewals = Array.from({ length: 5 }, () => ledger.renew([...events].reverse(), 'a', 60_000));
      await Promise.all([...renewals, ...events.map((event, i) => ledger.markSent(event, 'a', `<m-${i}@x>`)), ...events.map((event) => ledger.claim(event, {}, 'b', 60_000))]);
      const states = await Promise.all(events.map((event) => ledger.stateOf(event)));
      states.forEach((state, i) => expect(state).to.deep.include({ status: 'sent', messageId: `<m-${i}@x>` }));
    });
  });

  describe('several notifications of one order', () => {
    it('keeps two rows with their own state, listed in the order they arrived', async () => {
      const created = aNotification();
      const shipped = aNotification('order-shipped', created);
      expect((await ledger.claim(created, {}, 'a', 60_000)).claimed).to.equal(true);
      await ledger.markSent(created, 'a', '<order-created-1@x>');
      expect((await ledger.claim(shipped, { correlationId: 'c2' }, 'a', 60_000)).claimed).to.equal(true);
      await ledger.scheduleRetry(shipped, 'a', { attempts: 1, kind: 'temporary-failure', error: '451', dueAt: future() });
      expect(await ledger.stateOf(created)).to.deep.include({ status: 'sent', messageId: '<order-created-1@x>' });
      expect(await ledger.stateOf(shipped)).to.deep.include({ status: 'failed', attempts: 1, failureKind: 'temporary-failure' });
      const listed = await ledger.statesOf(created.orderId);
      expect(listed.map((n) => [n.kind, n.channel, n.status, n.attempts])).to.deep.equal([
        ['order-created', 'email', 'sent', 0],
        ['order-shipped', 'email', 'failed', 1],
      ]);
      expect(listed[0]?.sentAt).to.be.instanceOf(Date);
      expect(await ledger.resetDead(shipped)).to.equal(false);
    });

    it('queues the second as pending while the first is being sent, and hands it out once the first is sent', async () => {
      const created = aNotification();
      const shipped = aNotification('order-shipped', created);
      await ledger.claim(created, {}, 'a', 60_000);
      const queued = await ledger.claim(shipped, { correlationId: 'c2', source: { topic: 't', partition: 0, offset: '9' } }, 'a', 60_000);
      expect(queued).to.deep.equal({ claimed: false, state: { status: 'pending', attempts: 0 } });
      expect(await ledger.claimDue(10, 'b', 60_000, 'email')).to.deep.equal([]);
      expect((await ledger.claim(shipped, {}, 'b', 60_000)).claimed, 'a redelivery while it still waits').to.equal(false);
      await ledger.markSent(created, 'a', '<m@x>');
      const jobs = await ledger.claimDue(10, 'b', 60_000, 'email');
      expect(jobs).to.have.length(1);
      expect(jobs[0]).to.deep.include({ notification: shipped, correlationId: 'c2', source: { topic: 't', partition: 0, offset: '9' }, attempts: 0 });
      expect(await ledger.stateOf(shipped)).to.deep.include({ status: 'sending' });
    });

    const finishes: [string, (ledger: NotificationLedger, n: Notification, owner: string) => Promise<void>][] = [
      ['dead', (l, n, owner) => l.markDead(n, owner, { attempts: 6, kind: 'temporary-failure', error: '450' })],
      ['skipped', (l, n, owner) => l.markSkipped(n, owner, { kind: 'no-recipient', error: 'no recipient' } satisfies NotificationFailure)],
      ['sent', (l, n, owner) => l.markSent(n, owner, '<m@x>')],
    ];
    for (const [status, finish] of finishes)
      it(`keeps the second waiting while the first failed, and hands it out once the first is ${status}`, async () => {
        const created = aNotification();
        const cancelled = aNotification('order-cancelled', created);
        await ledger.claim(created, {}, 'a', 60_000);
        await ledger.scheduleRetry(created, 'a', { attempts: 1, kind: 'temporary-failure', error: '451', dueAt: past() });
        expect(await ledger.claim(cancelled, {}, 'a', 60_000)).to.deep.equal({ claimed: false, state: { status: 'pending', attempts: 0 } });
        const retried = await ledger.claimDue(10, 'b', 60_000, 'email');
        expect(retried.map((j) => j.notification.kind), 'the retry of the first only').to.deep.equal(['order-created']);
        await finish(ledger, created, 'b');
        expect((await ledger.claimDue(10, 'b', 60_000, 'email')).map((j) => j.notification.kind)).to.deep.equal(['order-cancelled']);
      });

    it('lets a queued one go through its own claim (a redelivery) once its turn has come', async () => {
      const created = aNotification();
      const shipped = aNotification('order-shipped', created);
      await ledger.claim(created, {}, 'a', 60_000);
      await ledger.claim(shipped, {}, 'a', 60_000);
      await ledger.markSkipped(created, 'a', { kind: 'no-recipient', error: 'no recipient' });
      const claim = await ledger.claim(shipped, {}, 'b', 60_000);
      expect(claim.claimed).to.equal(true);
      if (claim.claimed) expect(claim.job.notification).to.deep.equal(shipped);
    });

    it('keeps a third waiting behind the second, even once the first is finished', async () => {
      const created = aNotification();
      const shipped = aNotification('order-shipped', created);
      const delivered = aNotification('order-delivered', created);
      await ledger.claim(created, {}, 'a', 60_000);
      await ledger.claim(shipped, {}, 'a', 60_000);
      await ledger.claim(delivered, {}, 'a', 60_000);
      await ledger.markSent(created, 'a', '<1@x>');
      expect((await ledger.claimDue(10, 'b', 60_000, 'email')).map((j) => j.notification.kind)).to.deep.equal(['order-shipped']);
      expect(await ledger.claimDue(10, 'b', 60_000, 'email')).to.deep.equal([]);
      await ledger.markSent(shipped, 'b', '<2@x>');
      expect((await ledger.claimDue(10, 'b', 60_000, 'email')).map((j) => j.notification.kind)).to.deep.equal(['order-delivered']);
      expect((await ledger.statesOf(created.orderId)).map((n) => n.kind)).to.deep.equal(['order-created', 'order-shipped', 'order-delivered']);
    });

    it('never makes the notifications of different orders wait for each other', async () => {
      const first = aNotification();
      const other = aNotification('order-shipped');
      await ledger.claim(first, {}, 'a', 60_000);
      expect((await ledger.claim(other, {}, 'a', 60_000)).claimed).to.equal(true);
    });

    it('lets no one of ten concurrent claims take a queued one, and one of ten take it once its turn has come', async () => {
      const created = aNotification();
      const shipped = aNotification('order-shipped', created);
      await ledger.claim(created, {}, 'a', 60_000);
      const early = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.claim(shipped, {}, `owner-${i}`, 60_000)));
      expect(early.filter((c) => c.claimed)).to.have.length(0);
      await ledger.markSent(created, 'a', '<m@x>');
      const late = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.claim(shipped, {}, `owner-${i}`, 60_000)));
      expect(late.filter((c) => c.claimed)).to.have.length(1);
    });
  });

  describe('webhook deliveries: a stream per (order, channel, endpoint)', () => {
    it('keeps the deliveries of one kind to two endpoints of an order as two rows, each with its own state', async () => {
      const [a, b] = [anEndpointId(), anEndpointId()];
      const toA = aDelivery(a);
      const toB = aDelivery(b, 'order-created', toA);
      await ledger.enqueue([toA, toB], { correlationId: 'c-w' });
      expect(labelsOf(await ledger.claimDue(10, 'w', 60_000, 'webhook')).sort()).to.deep.equal([`order-created@${a}`, `order-created@${b}`].sort());
      await ledger.markSent(toA, 'w', 'msg_a');
      await ledger.scheduleRetry(toB, 'w', { attempts: 1, kind: 'endpoint-failed', error: 'HTTP 503', dueAt: future() });
      expect(await ledger.stateOf(toA)).to.deep.include({ status: 'sent', messageId: 'msg_a' });
      expect(await ledger.stateOf(toB)).to.deep.include({ status: 'failed', attempts: 1, failureKind: 'endpoint-failed' });
      expect(await ledger.stateOf({ orderId: toA.orderId, kind: 'order-created', channel: 'webhook' }), 'the key without its endpoint').to.equal(null);
    });

    it('leaves the deliveries of the endpoints it is told to skip (their circuit is open) due and untouched', async () => {
      const [a, b] = [anEndpointId(), anEndpointId()];
      const toA = aDelivery(a);
      const toB = aDelivery(b, 'order-created', toA);
      await ledger.enqueue([toA, toB], {});
      expect(labelsOf(await ledger.claimDue(10, 'w', 60_000, 'webhook', [a]))).to.deep.equal([`order-created@${b}`]);
      expect(await ledger.stateOf(toA)).to.deep.include({ status: 'pending', attempts: 0 });
      expect(labelsOf(await ledger.claimDue(10, 'w', 60_000, 'webhook', []))).to.deep.equal([`order-created@${a}`]);
    });

    it('never makes a webhook delivery wait behind an email of its order, nor an email behind a delivery', async () => {
      const created = aNotification();
      await ledger.claim(created, {}, 'a', 60_000);
      const delivery = aDelivery(anEndpointId(), 'order-shipped', created);
      await ledger.enqueue([delivery], {});
      expect(labelsOf(await ledger.claimDue(10, 'w', 60_000, 'webhook')), 'the email is still being sent').to.deep.equal([`order-shipped@${delivery.endpointId}`]);

      const other = aNotification();
      const waiting = aDelivery(anEndpointId(), 'order-created', other);
      await ledger.enqueue([waiting], {});
      const shipped = aNotification('order-shipped', other);
      expect((await ledger.claim(shipped, {}, 'a', 60_000)).claimed, 'the delivery before it is still pending').to.equal(true);
    });

    it('sends the deliveries to one endpoint in order, the second pending until the first is finished, whatever the other endpoints do', async () => {
      const [a, b] = [anEndpointId(), anEndpointId()];
      const createdA = aDelivery(a);
      const shippedA = aDelivery(a, 'order-shipped', createdA);
      const createdB = aDelivery(b, 'order-created', createdA);
      const shippedB = aDelivery(b, 'order-shipped', createdA);
      await ledger.enqueue([createdA, createdB, shippedA, shippedB], {});
      expect(labelsOf(await ledger.claimDue(10, 'w', 60_000, 'webhook')).sort()).to.deep.equal([`order-created@${a}`, `order-created@${b}`].sort());
      await ledger.scheduleRetry(createdA, 'w', { attempts: 1, kind: 'endpoint-unreachable', error: 'connect ECONNREFUSED', dueAt: past() });
      await ledger.markSent(createdB, 'w', 'msg_b1');
      expect(labelsOf(await ledger.claimDue(10, 'w', 60_000, 'webhook')).sort(), 'A retried, and B goes on meanwhile').to.deep.equal([`order-created@${a}`, `order-shipped@${b}`].sort());
      expect(await ledger.stateOf(shippedA)).to.deep.include({ status: 'pending' });
      expect(await ledger.claim(shippedA, {}, 'w', 60_000), 'a claim of its own waits too').to.deep.equal({ claimed: false, state: { status: 'pending', attempts: 0 } });
      await ledger.markDead(createdA, 'w', { attempts: 2, kind: 'endpoint-rejected', error: 'HTTP 410' });
      expect(labelsOf(await ledger.claimDue(10, 'w', 60_000, 'webhook'))).to.deep.equal([`order-shipped@${a}`]);
    });

    it('enqueues each delivery once: enqueued again, a known one keeps its state, context and place', async () => {
      const delivery = aDelivery(anEndpointId());
      const later = aDelivery(delivery.endpointId as string, 'order-shipped', delivery);
      await ledger.enqueue([delivery, delivery], { correlationId: 'c-1', source: { topic: 'order-created', partition: 0, offset: '3' } });
      expect(await ledger.stateOf(delivery)).to.deep.equal({ status: 'pending', attempts: 0 });
      const [job] = await ledger.claimDue(10, 'w', 60_000, 'webhook');
      await ledger.enqueue([delivery, later], { correlationId: 'c-2' });
      expect(await ledger.stateOf(delivery), 'still being sent').to.deep.include({ status: 'sending' });
      expect(await ledger.claimDue(10, 'other', 60_000, 'webhook'), 'the later one waits behind it').to.deep.equal([]);
      await ledger.markSent(delivery, 'w', 'msg_1');
      await ledger.enqueue([delivery], { correlationId: 'c-3' });
      expect(await ledger.stateOf(delivery)).to.deep.include({ status: 'sent', messageId: 'msg_1' });
      expect(job).to.deep.include({ correlationId: 'c-1', source: { topic: 'order-created', partition: 0, offset: '3' } });
      expect((await ledger.statesOf(delivery.orderId)).map((n) => [n.kind, n.status])).to.deep.equal([
        ['order-created', 'sent'],
        ['order-shipped', 'pending'],
      ]);
      await ledger.enqueue([], {});
    });

    it('leaves an email the ledger knows as it is when it is enqueued', async () => {
      const email = aNotification();
      await ledger.claim(email, {}, 'a', 60_000);
      await ledger.markSent(email, 'a', '<m@x>');
      await ledger.enqueue([email], {});
      expect(await ledger.stateOf(email)).to.deep.include({ status: 'sent', messageId: '<m@x>' });
    });

    it('hands out the due notifications of the channel asked for only', async () => {
      const email = aNotification();
      const failedEmail = aNotification();
      const delivery = aDelivery(anEndpointId());
      const failedDelivery = aDelivery(anEndpointId());
      await ledger.enqueue([email, delivery], {});
      for (const n of [failedEmail, failedDelivery]) {
        await ledger.claim(n, {}, 'a', 60_000);
        await ledger.scheduleRetry(n, 'a', { attempts: 1, kind: 'temporary-failure', error: 'later', dueAt: past() });
      }
      const emails = await ledger.claimDue(10, 'e', 20, 'email');
      expect(emails.map((j) => j.notification.orderId).sort()).to.deep.equal([email.orderId, failedEmail.orderId].sort());
      const deliveries = await ledger.claimDue(10, 'w', 20, 'webhook');
      expect(deliveries.map((j) => j.notification.orderId).sort()).to.deep.equal([delivery.orderId, failedDelivery.orderId].sort());
      await pause(60);
      expect((await ledger.claimDue(10, 'w', 60_000, 'webhook')).map((j) => j.notification.channel), 'expired leases, by channel too').to.deep.equal(['webhook', 'webhook']);
      expect((await ledger.claimDue(10, 'e', 60_000, 'email')).map((j) => j.notification.channel)).to.deep.equal(['email', 'email']);
    });

    it('keeps the endpoint of a delivery through claim, claimDue, statesOf, renew, markSent, markDead and resetDead', async () => {
      const [a, b] = [anEndpointId(), anEndpointId()];
      const email = aNotification();
      const toA = aDelivery(a, 'order-created', email);
      const toB = aDelivery(b, 'order-created', email);
      await ledger.claim(email, {}, 'e', 60_000);
      const claimed = await ledger.claim(toA, { correlationId: 'c-a' }, 'w', 100);
      expect(claimed.claimed).to.equal(true);
      if (claimed.claimed) expect(claimed.job.notification).to.deep.equal(toA);
      await ledger.enqueue([toB], {});
      const [taken] = await ledger.claimDue(10, 'other', 100, 'webhook');
      expect(taken?.notification).to.deep.equal(toB);
      expect((await ledger.statesOf(email.orderId)).map(({ kind, channel, endpointId, status }) => ({ kind, channel, endpointId, status }))).to.deep.equal([
        { kind: 'order-created', channel: 'email', endpointId: undefined, status: 'sending' },
        { kind: 'order-created', channel: 'webhook', endpointId: a, status: 'sending' },
        { kind: 'order-created', channel: 'webhook', endpointId: b, status: 'sending' },
      ]);
      expect((await ledger.statesOf(email.orderId))[0]).not.to.have.property('endpointId');

      // Renewed by its key: A's lease holds, B's (held by another) runs out and is taken over.
      await ledger.renew([toA, toB], 'w', 60_000);
      await pause(150);
      const [takenOver] = await ledger.claimDue(10, 'w', 60_000, 'webhook');
      expect(takenOver?.notification).to.deep.equal(toB);
      expect(await ledger.claimDue(10, 'w', 60_000, 'webhook')).to.deep.equal([]);

      await ledger.markSent(toA, 'w', 'msg_a');
      await ledger.markDead(toB, 'w', { attempts: 5, kind: 'endpoint-failed', error: 'HTTP 500' });
      expect(await ledger.stateOf(toA)).to.deep.include({ status: 'sent', messageId: 'msg_a' });
      expect(await ledger.stateOf(toB)).to.deep.include({ status: 'dead', attempts: 5, failureKind: 'endpoint-failed' });
      expect(await ledger.stateOf(email), 'the email untouched').to.deep.include({ status: 'sending' });
      expect(await ledger.resetDead(toA)).to.equal(false);
      expect(await ledger.resetDead({ orderId: toB.orderId, kind: 'order-created', channel: 'webhook', endpointId: a })).to.equal(false);
      expect(await ledger.resetDead(toB)).to.equal(true);
      const [replayed] = await ledger.claimDue(10, 'w', 60_000, 'webhook');
      expect(replayed).to.deep.include({ notification: toB, attempts: 0 });
    });
  });
}

describe('NotificationLedger contract: InMemoryNotificationLedger', () =>
  notificationLedgerContract(async () => ({ ledger: new InMemoryNotificationLedger(), close: async () => undefined })));

for (const [name, open] of [
  ['on a PostgreSQL server', () => serverDatabase(12)],
  ['on embedded PGlite', embeddedDatabase],
] as const) {
  describe(`NotificationLedger contract: PgNotificationLedger ${name}`, () => {
    notificationLedgerContract(async () => {
      const { database, close } = await open();
      return { ledger: new PgNotificationLedger(database), close };
    });

    it('refuses only the claim whose data the database cannot store: the others claimed at the same time go through', async () => {
      const { database, close } = await open();
      try {
        const ledger = new PgNotificationLedger(database);
        const good = Array.from({ length: 20 }, () => anEvent());
        const poisoned: Notification = { ...anEvent(), internalId: 'not-a-uuid' };
        const claims = await Promise.allSettled([...good.slice(0, 10), poisoned, ...good.slice(10)].map((event) => ledger.claim(event, {}, 'a', 60_000)));
        const refused = claims.splice(10, 1)[0];
        expect(refused?.status).to.equal('rejected');
        if (refused?.status === 'rejected') expect(refused.reason).to.be.instanceOf(DataRejectedError);
        expect(claims.map((claim) => claim.status === 'fulfilled' && claim.value.claimed)).to.deep.equal(good.map(() => true));
        expect(await ledger.stateOf(poisoned)).to.equal(null);
      } finally {
        await close();
      }
    });

    it('reads a failure recorded before failure kinds were (migration 8), or with a kind it does not know, as unknown', async () => {
      const { database, close } = await open();
      try {
        const ledger = new PgNotificationLedger(database);
        const [before, newer] = [anEvent(), anEvent()];
        for (const event of [before, newer]) {
          await ledger.claim(event, {}, 'a', 60_000);
          await ledger.markDead(event, 'a', { attempts: 1, kind: 'recipient-rejected', error: '550 no such user' });
        }
        await database.query('UPDATE notifications SET failure_kind = NULL WHERE order_id = $1', [before.orderId]);
        await database.query(`UPDATE notifications SET failure_kind = 'a-kind-from-the-future' WHERE order_id = $1`, [newer.orderId]);
        for (const event of [before, newer]) expect(await ledger.stateOf(event)).to.deep.include({ status: 'dead', failureKind: 'unknown', lastError: '550 no such user' });
      } finally {
        await close();
      }
    });
  });
}
