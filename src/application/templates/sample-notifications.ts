import type { Notification, NotificationKind } from '../../domain/notification.js';
import { ORDER_CREATED, type OrderCreated } from '../../domain/order-created.js';
import { ORDER_STATUS_CHANGED, type OrderStatusChanged } from '../../domain/order-status-changed.js';
import type { TargetStatus } from '../../domain/order-status.js';

const SAMPLE_ORDER = {
  id: '5b0e7d3a-58f4-4f6b-9a55-0f0e1d2c3b4a',
  orderId: 'A-1001',
  itemId: ['SKU-1042', 'SKU-2210', 'SKU-3007'],
  email: 'ada@example.com',
  createdAt: '2026-11-24T12:00:00.000Z',
} as const;

/** What each status kind announces in the sample: the shipment carries a carrier and a tracking link, the cancellation a note. */
const SAMPLE_CHANGES: Record<TargetStatus, Pick<OrderStatusChanged, 'previousStatus' | 'sequence' | 'changedAt' | 'carrier' | 'trackingUrl' | 'note'>> = {
  shipped: { previousStatus: 'created', sequence: 2, changedAt: '2026-11-25T09:30:00.000Z', carrier: 'DHL', trackingUrl: 'https://track.example.com/p/00340434161094042557' },
  delivered: { previousStatus: 'shipped', sequence: 3, changedAt: '2026-11-27T14:05:00.000Z' },
  cancelled: { previousStatus: 'created', sequence: 2, changedAt: '2026-11-24T16:45:00.000Z', note: 'One item is out of stock; your payment has been refunded.' },
};

/**
 * A notification of `kind` about a made-up order (A-1001, three items), in `locale` when given: what a
 * preview renders, so a template can be seen without placing an order.
 */
export function sampleNotification(kind: NotificationKind, locale?: string): Notification {
  const base = { orderId: SAMPLE_ORDER.orderId, kind, channel: 'email', internalId: SAMPLE_ORDER.id, email: SAMPLE_ORDER.email } as const;
  if (kind === 'order-created') {
    const payload: OrderCreated = { ...SAMPLE_ORDER, itemId: [...SAMPLE_ORDER.itemId], ...(locale === undefined ? {} : { locale }) };
    return { ...base, event: { ...ORDER_CREATED, aggregateId: payload.orderId, payload }, occurredAt: payload.createdAt };
  }
  const status = kind.slice('order-'.length) as TargetStatus;
  const payload: OrderStatusChanged = {
    id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    orderId: SAMPLE_ORDER.orderId,
    internalId: SAMPLE_ORDER.id,
    status,
    email: SAMPLE_ORDER.email,
    ...SAMPLE_CHANGES[status],
    ...(locale === undefined ? {} : { locale }),
  };
  return { ...base, event: { ...ORDER_STATUS_CHANGED, aggregateId: payload.orderId, payload }, occurredAt: payload.changedAt };
}
