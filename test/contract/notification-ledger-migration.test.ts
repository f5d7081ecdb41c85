import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { MIGRATIONS, migrate } from '../../src/adapters/postgres/migrations.js';
import { PgNotificationLedger } from '../../src/adapters/postgres/pg-notification-ledger.js';
import { PgRecipientQuota } from '../../src/adapters/postgres/pg-recipient-quota.js';
import type { SqlDatabase } from '../../src/adapters/postgres/sql-database.js';
import type { Notification, NotificationKind } from '../../src/domain/notification.js';
import { confirmationKey } from '../support/builders.js';
import { UNMIGRATED_DATABASES } from '../support/databases.js';

const unmigrated = UNMIGRATED_DATABASES;

const payloadOf = (orderId: string, email?: string) => ({
  id: `00000000-0000-4000-8000-${orderId.replace(/\D/g, '').padStart(12, '0')}`,
  orderId,
  itemId: ['sku-1'],
  ...(email ? { email } : {}),
  createdAt: '2026-11-24T11:00:00.000Z',
});

/** A row as the notifier before migration 11 wrote it: one per order, its event the order.created v1 payload. */
async function insertOldRow(database: SqlDatabase, orderId: string, columns: Record<string, unknown>): Promise<void> {
  const payload = payloadOf(orderId, `${orderId}@example.com`);
  const row: Record<string, unknown> = { order_id: orderId, internal_id: payload.id, event: JSON.stringify(payload), ...columns };
  const names = Object.keys(row);
  await database.query(`INSERT INTO notifications (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
}

for (const [name, open] of Object.entries(unmigrated)) {
  describe(`Migration 11 on ${name}: a notification is keyed by (order, kind, channel)`, () => {
    it('keeps every row of the previous shape with its state, as the confirmation email of its order', async () => {
      const { database, close } = await open();
      try {
        await migrate(database, MIGRATIONS.filter((m) => m.version <= 10));
        await insertOldRow(database, 'sent-1', { status: 'sent', attempts: 1, message_id: '<order-x@shop.test>', sent_at: new Date('2026-11-24T11:00:05Z') });
        await insertOldRow(database, 'failed-1', {
          status: 'failed',
          attempts: 2,
          unknown_outcomes: 1,
          last_error: '450 mailbox busy',
          failure_kind: 'temporary-failure',
          next_attempt_at: new Date(Date.now() - 1000),
          first_failed_at: new Date('2026-11-24T11:00:01Z'),
          correlation_id: 'c-failed',
          source_topic: 'order-created',
          source_partition: 3,
          source_offset: '41',
        });
        await insertOldRow(database, 'sending-1', { status: 'sending', lease_owner: 'old-notifier', lease_until: new Date(Date.now() - 1000) });
        await insertOldRow(database, 'dead-1', { status: 'dead', attempts: 6, last_error: '550 no such user', failure_kind: 'recipient-rejected', last_failed_at: new Date() });
        await insertOldRow(database, 'skipped-1', { status: 'skipped', last_error: 'no recipient', failure_kind: 'no-recipient' });
        const recipient = createHash('sha256').update('ada@example.com').digest('base64url');
        await database.query(`INSERT INTO recipient_quota_units (order_id, recipient, taken_at) VALUES ('failed-1', $1, now())`, [recipient]);

        expect(await migrate(database)).to.include(11);
        const ledger = new PgNotificationLedger(database);

        expect(await ledger.stateOf(confirmationKey('sent-1'))).to.deep.include({ status: 'sent', attempts: 1, messageId: '<order-x@shop.test>' });
        expect(await ledger.statesOf('dead-1')).to.deep.equal([
          { kind: 'order-created', channel: 'email', status: 'dead', attempts: 6, lastError: '550 no such user', failureKind: 'recipient-rejected' },
        ]);
        expect(await ledger.stateOf(confirmationKey('skipped-1'))).to.deep.include({ status: 'skipped', failureKind: 'no-recipient' });
        expect(await ledger.stateOf(confirmationKey('failed-1'))).to.deep.include({ status: 'failed', attempts: 2, failureKind: 'temporary-failure', lastError: '450 mailbox busy' });

        // The due retry and the expired lease are handed out as before, with everything a send needs.
        const jobs = await ledger.claimDue(10, 'new-notifier', 60_000, 'email');
        expect(jobs.map((j) => j.notification.orderId).sort()).to.deep.equal(['failed-1', 'sending-1']);
        const failed = jobs.find((j) => j.notification.orderId === 'failed-1');
        expect(failed).to.deep.include({ attempts: 2, unknownOutcomes: 1, correlationId: 'c-failed', source: { topic: 'order-created', partition: 3, offset: '41' } });
        expect(failed?.firstFailedAt?.toISOString()).to.equal('2026-11-24T11:00:01.000Z');
        expect(failed?.notification).to.deep.equal({
          orderId: 'failed-1',
          kind: 'order-created',
          channel: 'email',
          internalId: payloadOf('failed-1').id,
          email: 'failed-1@example.com',
          event: { type: 'order.created', version: 1, aggregateId: 'failed-1', payload: payloadOf('failed-1', 'failed-1@example.com') },
          occurredAt: '2026-11-24T11:00:00.000Z',
        });

        // A dead one is replayable, and comes back with its recipient.
        expect(await ledger.resetDead(confirmationKey('dead-1'))).to.equal(true);
        const [replayed] = await ledger.claimDue(10, 'new-notifier', 60_000, 'email');
        expect(replayed?.notification).to.deep.include({ orderId: 'dead-1', email: 'dead-1@example.com' });

        // A later notification of a migrated order waits behind it while it is unfinished.
        const shipped = { ...confirmationKey('failed-1'), kind: 'order-shipped' as const, internalId: payloadOf('failed-1').id, event: { type: 'order.status-changed', version: 1, aggregateId: 'failed-1', payload: {} }, occurredAt: new Date().toISOString() };
        expect(await ledger.claim(shipped, {}, 'new-notifier', 60_000)).to.deep.equal({ claimed: false, state: { status: 'pending', attempts: 0 } });
        await ledger.markSent(confirmationKey('failed-1'), 'new-notifier', '<m@x>');
        expect((await ledger.claimDue(10, 'new-notifier', 60_000, 'email')).map((j) => j.notification.kind)).to.deep.equal(['order-shipped']);

        // The unit the order took is the unit of its confirmation now: held, not taken twice.
        const quota = new PgRecipientQuota(database, 1);
        expect(await quota.take('ada@example.com', 'order-created/failed-1')).to.equal(true);
        expect(await quota.take('ada@example.com', 'order-created/other-order')).to.equal(false);
      } finally {
        await close();
      }
    });
  });
}

/** A row as the ledger of migrations 11 to 19 wrote it: keyed by (order, kind, channel), numbered by `seq` as it arrived. */
async function insertKeyedRow(database: SqlDatabase, orderId: string, kind: NotificationKind, columns: Record<string, unknown>): Promise<void> {
  const payload = payloadOf(orderId, `${orderId}@example.com`);
  const row: Record<string, unknown> = {
    order_id: orderId,
    kind,
    channel: 'email',
    internal_id: payload.id,
    email: `${orderId}@example.com`,
    event: JSON.stringify(payload),
    event_type: 'order.created',
    event_version: 1,
    occurred_at: new Date(payload.createdAt),
    ...columns,
  };
  const names = Object.keys(row);
  await database.query(`INSERT INTO notifications (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
}

for (const [name, open] of Object.entries(unmigrated)) {
  describe(`Migration 20 on ${name}: a notification is keyed by (order, kind, channel, endpoint)`, () => {
    it('keeps every email row with its state, without an endpoint, each still waiting only behind its own order\'s emails', async () => {
      const { database, close } = await open();
      try {
        await migrate(database, MIGRATIONS.filter((m) => m.version <= 19));
        await insertKeyedRow(database, 'A-1', 'order-created', { status: 'sent', message_id: '<order-created-a@shop.test>', sent_at: new Date('2026-11-24T11:00:05Z') });
        await insertKeyedRow(database, 'A-1', 'order-shipped', {
          status: 'failed',
          attempts: 2,
          unknown_outcomes: 1,
          last_error: '450 mailbox busy',
          failure_kind: 'temporary-failure',
          next_attempt_at: new Date(Date.now() - 1000),
          first_failed_at: new Date('2026-11-24T11:00:01Z'),
          correlation_id: 'c-shipped',
        });
        await insertKeyedRow(database, 'A-1', 'order-delivered', { status: 'pending' });
        await insertKeyedRow(database, 'B-1', 'order-created', { status: 'sending', lease_owner: 'old-notifier', lease_until: new Date(Date.now() - 1000) });
        await insertKeyedRow(database, 'C-1', 'order-created', { status: 'dead', attempts: 6, last_error: '550 no such user', failure_kind: 'recipient-rejected', last_failed_at: new Date() });

        expect(await migrate(database)).to.include(20);
        const ledger = new PgNotificationLedger(database);

        expect(await ledger.statesOf('A-1')).to.deep.equal([
          { kind: 'order-created', channel: 'email', status: 'sent', attempts: 0, messageId: '<order-created-a@shop.test>', sentAt: new Date('2026-11-24T11:00:05Z') },
          { kind: 'order-shipped', channel: 'email', status: 'failed', attempts: 2, lastError: '450 mailbox busy', failureKind: 'temporary-failure' },
          { kind: 'order-delivered', channel: 'email', status: 'pending', attempts: 0 },
        ]);
        expect(await ledger.stateOf(confirmationKey('C-1'))).to.deep.include({ status: 'dead', attempts: 6, failureKind: 'recipient-rejected' });
        expect(await ledger.claim(confirmationOfRow('A-1'), {}, 'new-notifier', 60_000), 'a redelivery finds its row').to.deep.equal({
          claimed: false,
          state: { status: 'sent', attempts: 0, messageId: '<order-created-a@shop.test>', sentAt: new Date('2026-11-24T11:00:05Z') },
        });

        // The due retry and the expired lease are handed out to the email sweeper, with everything a send needs; the delivered email still waits.
        expect(await ledger.claimDue(10, 'webhooks', 60_000, 'webhook')).to.deep.equal([]);
        const jobs = await ledger.claimDue(10, 'new-notifier', 60_000, 'email');
        expect(jobs.map((j) => `${j.notification.orderId} ${j.notification.kind}`).sort()).to.deep.equal(['A-1 order-shipped', 'B-1 order-created']);
        const shipped = jobs.find((j) => j.notification.kind === 'order-shipped');
        expect(shipped).to.deep.include({ attempts: 2, unknownOutcomes: 1, correlationId: 'c-shipped' });
        expect(shipped?.notification).to.not.have.property('endpointId');
        expect(shipped?.notification).to.deep.include({ orderId: 'A-1', channel: 'email', email: 'A-1@example.com' });

        // A webhook delivery of a migrated order does not wait behind its unfinished emails.
        const delivery = { ...confirmationOfRow('A-1'), kind: 'order-delivered' as const, channel: 'webhook' as const, endpointId: 'ep_0123456789abcdef01234567' };
        await ledger.enqueue([delivery], {});
        expect((await ledger.claimDue(10, 'webhooks', 60_000, 'webhook')).map((j) => j.notification)).to.deep.equal([delivery]);
        await ledger.markSent({ orderId: 'A-1', kind: 'order-shipped', channel: 'email' }, 'new-notifier', '<m@x>');
        expect((await ledger.claimDue(10, 'new-notifier', 60_000, 'email')).map((j) => j.notification.kind)).to.deep.equal(['order-delivered']);

        // A dead one is replayable by its key as before.
        expect(await ledger.resetDead(confirmationKey('C-1'))).to.equal(true);
        expect((await ledger.claimDue(10, 'new-notifier', 60_000, 'email')).map((j) => j.notification.orderId)).to.deep.equal(['C-1']);
      } finally {
        await close();
      }
    });
  });
}

for (const [name, open] of Object.entries(unmigrated)) {
  describe(`Migration 23 on ${name}: the SMTP provider of each sent email`, () => {
    it('keeps the rows sent before it, without a provider, and records the provider of those sent after', async () => {
      const { database, close } = await open();
      try {
        await migrate(database, MIGRATIONS.filter((m) => m.version < 23));
        await insertKeyedRow(database, 'P-1', 'order-created', { status: 'sent', message_id: '<order-created-p@shop.test>', sent_at: new Date('2026-11-24T11:00:05Z') });
        await insertKeyedRow(database, 'P-2', 'order-created', { status: 'sending', lease_owner: 'n', lease_until: new Date(Date.now() + 60_000) });
        expect(await migrate(database)).to.include(23);
        const ledger = new PgNotificationLedger(database);
        expect(await ledger.stateOf(confirmationKey('P-1'))).to.deep.equal({ status: 'sent', attempts: 0, messageId: '<order-created-p@shop.test>', sentAt: new Date('2026-11-24T11:00:05Z') });
        await ledger.markSent(confirmationKey('P-2'), 'n', '<order-created-q@shop.test>', 'mail-a.example.com:587');
        expect(await ledger.stateOf(confirmationKey('P-2'))).to.deep.include({ status: 'sent', provider: 'mail-a.example.com:587' });
      } finally {
        await close();
      }
    });
  });
}

/** The confirmation email of a row insertKeyedRow wrote, as a reaction builds it. */
function confirmationOfRow(orderId: string): Notification {
  const payload = payloadOf(orderId, `${orderId}@example.com`);
  return {
    ...confirmationKey(orderId),
    internalId: payload.id,
    email: `${orderId}@example.com`,
    event: { type: 'order.created', version: 1, aggregateId: orderId, payload },
    occurredAt: payload.createdAt,
  };
}
