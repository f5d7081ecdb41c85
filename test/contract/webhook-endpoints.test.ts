import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { InMemoryWebhookEndpoints } from '../../src/adapters/memory/in-memory-webhook-endpoints.js';
import { PgWebhookEndpoints } from '../../src/adapters/postgres/pg-webhook-endpoints.js';
import { DataRejectedError } from '../../src/application/errors.js';
import type { WebhookEndpoints } from '../../src/application/ports/webhook-endpoints.js';
import type { NotificationKind } from '../../src/domain/notification.js';
import type { WebhookEndpoint } from '../../src/domain/webhook-endpoint.js';
import { embeddedDatabase, serverDatabase } from '../support/databases.js';

interface EndpointsSubject {
  endpoints: WebhookEndpoints;
  close(): Promise<void>;
}

const anId = (): string => `ep_${randomBytes(12).toString('hex')}`;
const aSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
let minutes = 0;

/** An enabled endpoint created a minute after the previous one, subscribed to `events`. */
function anEndpoint(overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  minutes++;
  return {
    id: anId(),
    url: 'https://shop.example.com/hooks/ordermail',
    events: ['order-created', 'order-shipped'],
    enabled: true,
    createdAt: new Date(Date.UTC(2026, 10, 25, 12, minutes)),
    ...overrides,
  };
}

function webhookEndpointsContract(makeSubject: () => Promise<EndpointsSubject>): void {
  let subject: EndpointsSubject;
  let endpoints: WebhookEndpoints;
  beforeEach(async () => {
    subject = await makeSubject();
    endpoints = subject.endpoints;
  });
  afterEach(() => subject.close());

  it('adds an endpoint and reads it back, with its secret, as it was registered', async () => {
    const endpoint = anEndpoint({ description: 'ERP (production)' });
    const secret = aSecret();
    await endpoints.add(endpoint, secret);
    expect(await endpoints.get(endpoint.id)).to.deep.equal({ endpoint, secrets: { current: secret } });
    expect(await endpoints.list()).to.deep.equal([endpoint]);
  });

  it('keeps an endpoint without a description without one', async () => {
    const endpoint = anEndpoint();
    await endpoints.add(endpoint, aSecret());
    const [listed] = await endpoints.list();
    expect(listed).to.deep.equal(endpoint);
    expect(listed).not.to.have.property('description');
    expect(listed).not.to.have.property('previousSecretExpiresAt');
  });

  it('gives the events in NOTIFICATION_KINDS order, whatever order they were added in', async () => {
    const endpoint = anEndpoint({ events: ['order-cancelled', 'order-created', 'order-delivered'] });
    await endpoints.add(endpoint, aSecret());
    expect((await endpoints.get(endpoint.id))?.endpoint.events).to.deep.equal(['order-created', 'order-delivered', 'order-cancelled']);
  });

  it('lists every endpoint, the oldest first', async () => {
    const [first, second, third] = [anEndpoint(), anEndpoint({ enabled: false }), anEndpoint()];
    for (const endpoint of [third, first, second]) await endpoints.add(endpoint as WebhookEndpoint, aSecret());
    expect((await endpoints.list()).map((e) => e.id)).to.deep.equal([first, second, third].map((e) => e?.id));
  });

  it('lists endpoints created at the same moment by id', async () => {
    const createdAt = new Date('2026-11-25T12:00:00.000Z');
    const added = [anEndpoint({ createdAt, id: `ep_${'b'.repeat(24)}` }), anEndpoint({ createdAt, id: `ep_${'a'.repeat(24)}` }), anEndpoint({ createdAt, id: `ep_${'0'.repeat(24)}` })];
    for (const endpoint of added) await endpoints.add(endpoint, aSecret());
    expect((await endpoints.list()).map((e) => e.id)).to.deep.equal([`ep_${'0'.repeat(24)}`, `ep_${'a'.repeat(24)}`, `ep_${'b'.repeat(24)}`]);
  });

  it('refuses a second endpoint with the same id, and keeps the first', async () => {
    const endpoint = anEndpoint();
    const secret = aSecret();
    await endpoints.add(endpoint, secret);
    let thrown: unknown;
    try {
      await endpoints.add({ ...endpoint, url: 'https://other.example.com/' }, aSecret());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(DataRejectedError);
    expect(await endpoints.get(endpoint.id)).to.deep.equal({ endpoint, secrets: { current: secret } });
  });

  it('names as subscribers of a kind only the enabled endpoints that subscribed to it, the oldest first', async () => {
    const shipping = anEndpoint({ events: ['order-shipped'] });
    const everything = anEndpoint({ events: ['order-created', 'order-shipped', 'order-delivered', 'order-cancelled'] });
    const disabled = anEndpoint({ events: ['order-shipped'], enabled: false });
    const creation = anEndpoint({ events: ['order-created'] });
    for (const endpoint of [creation, disabled, everything, shipping]) await endpoints.add(endpoint, aSecret());
    const ids = async (kind: NotificationKind): Promise<string[]> => (await endpoints.subscribersOf(kind)).map((e) => e.id);
    expect(await ids('order-shipped')).to.deep.equal([shipping.id, everything.id]);
    expect(await ids('order-created')).to.deep.equal([everything.id, creation.id]);
    expect(await ids('order-cancelled')).to.deep.equal([everything.id]);
    expect((await endpoints.subscribersOf('order-shipped'))[0]).to.deep.equal(shipping);
  });

  it('disables and enables an endpoint, answering with it as it is now; a disabled one subscribes to nothing', async () => {
    const endpoint = anEndpoint();
    await endpoints.add(endpoint, aSecret());
    expect(await endpoints.setEnabled(endpoint.id, false)).to.deep.equal({ ...endpoint, enabled: false });
    expect(await endpoints.subscribersOf('order-created')).to.deep.equal([]);
    expect((await endpoints.list())[0]?.enabled).to.equal(false);
    expect(await endpoints.setEnabled(endpoint.id, false)).to.deep.equal({ ...endpoint, enabled: false });
    expect(await endpoints.setEnabled(endpoint.id, true)).to.deep.equal(endpoint);
    expect(await endpoints.subscribersOf('order-created')).to.deep.equal([endpoint]);
  });

  it('rotates a secret: the new one signs, the current one becomes the previous one until it expires', async () => {
    const endpoint = anEndpoint();
    const [first, second] = [aSecret(), aSecret()];
    const expiresAt = new Date('2026-11-26T12:00:00.000Z');
    await endpoints.add(endpoint, first);
    expect(await endpoints.rotateSecret(endpoint.id, second, expiresAt)).to.equal(true);
    expect(await endpoints.get(endpoint.id)).to.deep.equal({
      endpoint: { ...endpoint, previousSecretExpiresAt: expiresAt },
      secrets: { current: second, previous: { secret: first, expiresAt } },
    });
    expect((await endpoints.list())[0]?.previousSecretExpiresAt).to.deep.equal(expiresAt);
  });

  it('keeps two secrets at most: rotating twice drops the oldest', async () => {
    const endpoint = anEndpoint();
    const [first, second, third] = [aSecret(), aSecret(), aSecret()];
    await endpoints.add(endpoint, first);
    await endpoints.rotateSecret(endpoint.id, second, new Date('2026-11-26T12:00:00.000Z'));
    const later = new Date('2026-11-26T13:00:00.000Z');
    await endpoints.rotateSecret(endpoint.id, third, later);
    expect((await endpoints.get(endpoint.id))?.secrets).to.deep.equal({ current: third, previous: { secret: second, expiresAt: later } });
  });

  it('removes an endpoint: it is gone from the list, the subscribers and get', async () => {
    const [kept, removed] = [anEndpoint(), anEndpoint()];
    for (const endpoint of [kept, removed]) await endpoints.add(endpoint, aSecret());
    expect(await endpoints.remove(removed.id)).to.equal(true);
    expect(await endpoints.get(removed.id)).to.equal(null);
    expect(await endpoints.list()).to.deep.equal([kept]);
    expect(await endpoints.subscribersOf('order-created')).to.deep.equal([kept]);
    expect(await endpoints.remove(removed.id)).to.equal(false);
  });

  it('answers null or false for an id it does not have, and changes nothing', async () => {
    const endpoint = anEndpoint();
    await endpoints.add(endpoint, aSecret());
    const unknown = anId();
    expect(await endpoints.get(unknown)).to.equal(null);
    expect(await endpoints.setEnabled(unknown, false)).to.equal(null);
    expect(await endpoints.rotateSecret(unknown, aSecret(), new Date())).to.equal(false);
    expect(await endpoints.remove(unknown)).to.equal(false);
    expect(await endpoints.list()).to.deep.equal([endpoint]);
  });

  it('hands out copies: changing what it returned changes nothing stored', async () => {
    const endpoint = anEndpoint();
    await endpoints.add(endpoint, aSecret());
    const [listed] = await endpoints.list();
    (listed?.events as NotificationKind[]).push('order-cancelled');
    listed?.createdAt.setTime(0);
    expect(await endpoints.list()).to.deep.equal([endpoint]);
  });
}

describe('WebhookEndpoints contract: InMemoryWebhookEndpoints', () =>
  webhookEndpointsContract(async () => ({ endpoints: new InMemoryWebhookEndpoints(), close: async () => undefined })));

for (const [name, open] of [
  ['on a PostgreSQL server', () => serverDatabase(4)],
  ['on embedded PGlite', embeddedDatabase],
] as const) {
  describe(`WebhookEndpoints contract: PgWebhookEndpoints ${name}`, () => {
    webhookEndpointsContract(async () => {
      const { database, close } = await open();
      return { endpoints: new PgWebhookEndpoints(database), close };
    });

    it('leaves out a kind this version does not know (stored by a later one)', async () => {
      const { database, close } = await open();
      try {
        const endpoints = new PgWebhookEndpoints(database);
        const endpoint = anEndpoint({ events: ['order-created'] });
        await endpoints.add(endpoint, aSecret());
        await database.query(`UPDATE webhook_endpoints SET events = events || '{order-returned}' WHERE id = $1`, [endpoint.id]);
        expect(await endpoints.list()).to.deep.equal([endpoint]);
      } finally {
        await close();
      }
    });
  });
}
