import { expect } from 'chai';
import { InMemoryNotificationLedger } from '../../src/adapters/memory/in-memory-notification-ledger.js';
import { NotificationsInFlight } from '../../src/application/notifications-in-flight.js';
import { RenewNotificationLeases } from '../../src/application/renew-notification-leases.js';
import type { Notification } from '../../src/domain/notification.js';
import { confirmationOf } from '../support/builders.js';

describe('RenewNotificationLeases', () => {
  it('renews the lease of each webhook delivery this process holds by its endpoint, and of no other endpoint\'s', async () => {
    let now = Date.parse('2026-11-24T12:00:00.000Z');
    const ledger = new InMemoryNotificationLedger(() => now);
    const inFlight = new NotificationsInFlight();
    const email = confirmationOf({ id: '00000000-0000-4000-8000-000000000001', orderId: 'A-1', itemId: ['x'], createdAt: new Date(now).toISOString() });
    const [held, other] = ['ep_aaaaaaaaaaaaaaaaaaaaaaaa', 'ep_bbbbbbbbbbbbbbbbbbbbbbbb'].map((endpointId): Notification => ({ ...email, channel: 'webhook', endpointId }));
    await ledger.enqueue([held as Notification, other as Notification], {});
    expect(await ledger.claimDue(10, 'dispatcher', 60_000, 'webhook')).to.have.length(2);
    // Handed out with all the rest of the notification: the registry keeps the key alone.
    inFlight.add(held as Notification);
    expect(inFlight.list()).to.deep.equal([{ orderId: 'A-1', kind: 'order-created', channel: 'webhook', endpointId: 'ep_aaaaaaaaaaaaaaaaaaaaaaaa' }]);

    now += 40_000;
    await new RenewNotificationLeases(ledger, inFlight, { owner: 'dispatcher', leaseMs: 60_000 }).execute();
    now += 30_000; // 70 s after the claim: only the renewed lease still holds
    const takenOver = await ledger.claimDue(10, 'another', 60_000, 'webhook');
    expect(takenOver.map((job) => job.notification.endpointId)).to.deep.equal(['ep_bbbbbbbbbbbbbbbbbbbbbbbb']);
  });
});
