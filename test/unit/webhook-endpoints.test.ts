import { expect } from 'chai';
import { InMemoryWebhookEndpoints } from '../../src/adapters/memory/in-memory-webhook-endpoints.js';
import { ListWebhookEndpoints } from '../../src/application/list-webhook-endpoints.js';
import type { Clock } from '../../src/application/ports/clock.js';
import type { HandOverOutcome, LocalReceiver } from '../../src/application/ports/local-receiver.js';
import { RegisterLocalReceiver } from '../../src/application/register-local-receiver.js';
import { RegisterWebhookEndpoint, type RegisterWebhookEndpointCommand } from '../../src/application/register-webhook-endpoint.js';
import { RemoveWebhookEndpoint } from '../../src/application/remove-webhook-endpoint.js';
import { RotateWebhookSecret } from '../../src/application/rotate-webhook-secret.js';
import { SetWebhookEndpointEnabled } from '../../src/application/set-webhook-endpoint-enabled.js';
import { ValidationError, type FieldError } from '../../src/domain/errors.js';
import { WEBHOOK_ENDPOINT_ID, WEBHOOK_ENDPOINTS_MAX, WebhookEndpointNotFoundError, WebhookEndpointsFullError } from '../../src/domain/webhook-endpoint.js';
import { capturingLogger, silentLogger } from '../support/logs.js';
import { CountingSecretGenerator, FakeAddressCheck, idOf, secretOf } from '../support/webhooks.js';

const GRACE_MS = 86_400_000;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function fieldErrors(promise: Promise<unknown>): Promise<FieldError[]> {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(ValidationError);
  return [...(error as ValidationError).details];
}

describe('the webhook endpoint registry (use cases, in-memory adapters)', () => {
  let endpoints: InMemoryWebhookEndpoints;
  let addressCheck: FakeAddressCheck;
  let random: CountingSecretGenerator;
  let now: number;
  let clock: Clock;
  let register: RegisterWebhookEndpoint;
  let list: ListWebhookEndpoints;
  let setEnabled: SetWebhookEndpointEnabled;
  let rotate: RotateWebhookSecret;
  let remove: RemoveWebhookEndpoint;

  function build(allowInsecure = false, logger = silentLogger()): void {
    endpoints = new InMemoryWebhookEndpoints();
    addressCheck = new FakeAddressCheck();
    random = new CountingSecretGenerator();
    now = Date.parse('2026-11-25T12:00:00.000Z');
    clock = { now: () => new Date(now) };
    register = new RegisterWebhookEndpoint(endpoints, addressCheck, random, clock, logger, { allowInsecure });
    list = new ListWebhookEndpoints(endpoints, clock);
    setEnabled = new SetWebhookEndpointEnabled(endpoints, logger);
    rotate = new RotateWebhookSecret(endpoints, random, clock, logger, { graceMs: GRACE_MS });
    remove = new RemoveWebhookEndpoint(endpoints, logger);
  }
  beforeEach(() => build());

  const registration = (overrides: RegisterWebhookEndpointCommand = {}): RegisterWebhookEndpointCommand => ({
    url: 'https://erp.example.com/hooks/ordermail',
    events: ['order.created', 'order.shipped'],
    ...overrides,
  });

  describe('RegisterWebhookEndpoint', () => {
    it('registers an enabled endpoint with a new id and secret, and answers with both', async () => {
      const registered = await register.execute(registration({ description: '  ERP (production) ' }));
      const endpoint = { id: idOf(1), url: 'https://erp.example.com/hooks/ordermail', events: ['order-created', 'order-shipped'], enabled: true, description: 'ERP (production)', createdAt: new Date(now) };
      expect(registered).to.deep.equal({ endpoint, secret: secretOf(2) });
      expect(registered.endpoint.id).to.match(WEBHOOK_ENDPOINT_ID);
      expect(registered.secret).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(registered.secret.slice('whsec_'.length), 'base64')).to.have.length(32);
      expect(await endpoints.get(idOf(1))).to.deep.equal({ endpoint, secrets: { current: secretOf(2) } });
    });

    it('keeps the URL in its normal form and the events in NOTIFICATION_KINDS order, each once', async () => {
      const { endpoint } = await register.execute(registration({ url: 'HTTPS://ERP.Example.com:443/hooks', events: ['order.cancelled', 'order.created', 'order.cancelled'] }));
      expect(endpoint).to.deep.include({ url: 'https://erp.example.com/hooks', events: ['order-created', 'order-cancelled'] });
      expect(endpoint).not.to.have.property('description');
    });

    it('asks the address check about the URL, and answers its refusal naming url', async () => {
      await register.execute(registration());
      const problems = await fieldErrors(register.execute(registration({ url: 'https://intranet.example.com/hooks' })));
      expect(problems).to.deep.equal([{ field: 'url', message: 'host "intranet.example.com" resolves to 10.1.2.3, a private address' }]);
      expect(addressCheck.checked).to.deep.equal(['https://erp.example.com/hooks/ordermail', 'https://intranet.example.com/hooks']);
      expect(await endpoints.list()).to.have.length(1);
    });

    it('names every bad field at once, and checks no address for a registration that breaks a rule', async () => {
      const problems = await fieldErrors(register.execute({ url: 'http://erp.example.com/hooks', events: ['order.exploded'], description: 'a\u0000b' }));
      expect(problems.map((p) => p.field)).to.deep.equal(['url', 'events', 'description']);
      expect(problems[0]?.message).to.equal('must use https (http only to localhost, when WEBHOOK_ALLOW_INSECURE=true)');
      expect(problems[2]?.message).to.equal('must not contain control characters or unpaired surrogates');
      expect(addressCheck.checked).to.deep.equal([]);
    });

    it('requires a url and at least one event type', async () => {
      const problems = await fieldErrors(register.execute({}));
      expect(problems).to.deep.equal([
        { field: 'url', message: 'is required' },
        { field: 'events', message: 'must list at least one of order.created, order.shipped, order.delivered, order.cancelled' },
      ]);
    });

    it('refuses a description longer than 200 characters, or empty once trimmed', async () => {
      expect(await fieldErrors(register.execute(registration({ description: 'x'.repeat(201) })))).to.deep.equal([{ field: 'description', message: 'must be at most 200 characters' }]);
      expect(await fieldErrors(register.execute(registration({ description: '   ' })))).to.deep.equal([{ field: 'description', message: 'must not be empty' }]);
      expect((await register.execute(registration({ description: '😀'.repeat(200) }))).endpoint.description).to.have.length(400);
    });

    it('allows http to localhost only when insecure URLs are allowed', async () => {
      expect((await fieldErrors(register.execute(registration({ url: 'http://localhost:4400/webhooks' }))))[0]?.field).to.equal('url');
      build(true);
      expect((await register.execute(registration({ url: 'http://localhost:4400/webhooks' }))).endpoint.url).to.equal('http://localhost:4400/webhooks');
    });

    it(`refuses a registration beyond ${WEBHOOK_ENDPOINTS_MAX} endpoints with WEBHOOK_ENDPOINTS_FULL, and takes one again once one is removed`, async () => {
      for (let i = 0; i < WEBHOOK_ENDPOINTS_MAX; i++) await register.execute(registration({ url: `https://erp.example.com/hooks/${i}` }));
      const error = await rejection(register.execute(registration()));
      expect(error).to.be.instanceOf(WebhookEndpointsFullError);
      expect((error as WebhookEndpointsFullError).code).to.equal('WEBHOOK_ENDPOINTS_FULL');
      expect((error as Error).message).to.equal(`At most ${WEBHOOK_ENDPOINTS_MAX} webhook endpoints can be registered: remove one before adding another`);
      expect(await endpoints.list()).to.have.length(WEBHOOK_ENDPOINTS_MAX);
      await remove.execute(((await endpoints.list())[0]?.id) ?? '');
      await register.execute(registration());
    });

    it('reports the rules a partial registration breaks, for the fields it has only', () => {
      expect(register.problemsOf({ events: [] })).to.deep.equal([{ field: 'events', message: 'must list at least one of order.created, order.shipped, order.delivered, order.cancelled' }]);
      expect(register.problemsOf({ description: 'ok', url: 'ftp://x.example.com/' })).to.deep.equal([{ field: 'url', message: 'must use https' }]);
      expect(register.problemsOf({})).to.deep.equal([]);
    });

    it('logs the registration with the URL\'s origin only, never its path, query or secret', async () => {
      const { logger, lines } = capturingLogger();
      build(false, logger);
      const { secret } = await register.execute(registration({ url: 'https://erp.example.com/hooks?token=receiver-own-token' }));
      const line = lines.find((l) => l.msg === 'webhook endpoint registered');
      expect(line).to.deep.include({ endpointId: idOf(1), origin: 'https://erp.example.com', events: ['order-created', 'order-shipped'] });
      expect(JSON.stringify(lines)).not.to.contain('receiver-own-token').and.not.to.contain(secret.slice('whsec_'.length));
    });
  });

  describe('ListWebhookEndpoints', () => {
    it('lists the endpoints, the oldest first, never their secrets', async () => {
      const first = await register.execute(registration());
      now += 1000;
      const second = await register.execute(registration({ url: 'https://crm.example.com/in' }));
      const listed = await list.execute();
      expect(listed).to.deep.equal([first.endpoint, second.endpoint]);
      expect(JSON.stringify(listed)).not.to.contain('whsec_');
    });

    it('says until when a rotated-out secret still signs, and nothing once it does not', async () => {
      const { endpoint } = await register.execute(registration());
      const { previousSecretExpiresAt } = await rotate.execute(endpoint.id);
      expect((await list.execute())[0]?.previousSecretExpiresAt).to.deep.equal(previousSecretExpiresAt);
      now += GRACE_MS;
      expect(await list.execute()).to.deep.equal([endpoint]);
    });
  });

  describe('SetWebhookEndpointEnabled', () => {
    it('disables and enables an endpoint, answering with it as it is now', async () => {
      const { endpoint } = await register.execute(registration());
      expect(await setEnabled.execute(endpoint.id, false)).to.deep.equal({ ...endpoint, enabled: false });
      expect(await endpoints.subscribersOf('order-created')).to.deep.equal([]);
      expect(await setEnabled.execute(endpoint.id, true)).to.deep.equal(endpoint);
    });

    it('answers WEBHOOK_ENDPOINT_NOT_FOUND for an id it does not have, or that no endpoint can have', async () => {
      for (const id of [idOf(9), 'ep_nope', '']) {
        const error = await rejection(setEnabled.execute(id, false));
        expect(error, id).to.be.instanceOf(WebhookEndpointNotFoundError);
        expect((error as WebhookEndpointNotFoundError).code).to.equal('WEBHOOK_ENDPOINT_NOT_FOUND');
      }
    });
  });

  describe('RotateWebhookSecret', () => {
    it('gives the endpoint a new secret and keeps the one it replaces signing for the grace period', async () => {
      const { endpoint, secret } = await register.execute(registration());
      now += 60_000;
      const rotated = await rotate.execute(endpoint.id);
      expect(rotated).to.deep.equal({ secret: secretOf(3), previousSecretExpiresAt: new Date(now + GRACE_MS) });
      expect((await endpoints.get(endpoint.id))?.secrets).to.deep.equal({ current: secretOf(3), previous: { secret, expiresAt: new Date(now + GRACE_MS) } });
    });

    it('drops the oldest secret when rotated twice', async () => {
      const { endpoint } = await register.execute(registration());
      await rotate.execute(endpoint.id);
      const second = await rotate.execute(endpoint.id);
      expect((await endpoints.get(endpoint.id))?.secrets).to.deep.equal({ current: second.secret, previous: { secret: secretOf(3), expiresAt: second.previousSecretExpiresAt } });
    });

    it('answers WEBHOOK_ENDPOINT_NOT_FOUND for an id it does not have', async () => {
      expect(await rejection(rotate.execute(idOf(9)))).to.be.instanceOf(WebhookEndpointNotFoundError);
      expect(await rejection(rotate.execute('../etc'))).to.be.instanceOf(WebhookEndpointNotFoundError);
    });
  });

  describe('RemoveWebhookEndpoint', () => {
    it('removes the endpoint, and answers WEBHOOK_ENDPOINT_NOT_FOUND the second time', async () => {
      const { endpoint } = await register.execute(registration());
      await remove.execute(endpoint.id);
      expect(await endpoints.list()).to.deep.equal([]);
      expect(await rejection(remove.execute(endpoint.id))).to.be.instanceOf(WebhookEndpointNotFoundError);
    });
  });

  describe('RegisterLocalReceiver', () => {
    /** A receiver that answers what the test says, and remembers the secrets it was handed. */
    class FakeLocalReceiver implements LocalReceiver {
      readonly url = 'http://localhost:4400/webhooks';
      readonly handedOver: { endpointId: string; secret: string }[] = [];
      outcome: HandOverOutcome = 'taken';
      async handOver(endpointId: string, secret: string): Promise<HandOverOutcome> {
        if (this.outcome === 'taken') this.handedOver.push({ endpointId, secret });
        return this.outcome;
      }
    }
    let receiver: FakeLocalReceiver;
    let registerLocal: RegisterLocalReceiver;
    beforeEach(() => {
      build(true);
      receiver = new FakeLocalReceiver();
      registerLocal = new RegisterLocalReceiver(receiver, endpoints, register, setEnabled, rotate, silentLogger());
    });

    it('registers the receiver for every event type and hands it the secret', async () => {
      const registered = await registerLocal.execute();
      expect(registered).to.deep.equal({
        endpoint: {
          id: idOf(1),
          url: 'http://localhost:4400/webhooks',
          events: ['order-created', 'order-shipped', 'order-delivered', 'order-cancelled'],
          enabled: true,
          description: 'the local receiver (npm run receiver)',
          createdAt: new Date(now),
        },
        secret: secretOf(2),
        created: true,
        receiver: 'taken',
      });
      expect(receiver.handedOver).to.deep.equal([{ endpointId: idOf(1), secret: secretOf(2) }]);
    });

    it('still answers with the secret when the receiver is not running', async () => {
      receiver.outcome = 'unreachable';
      const registered = await registerLocal.execute();
      expect(registered).to.deep.include({ secret: secretOf(2), created: true, receiver: 'unreachable' });
      expect((await endpoints.get(idOf(1)))?.secrets.current).to.equal(secretOf(2));
    });

    it('registers nothing new when asked again: the receiver is enabled again and handed a new secret', async () => {
      const first = await registerLocal.execute();
      await setEnabled.execute(first.endpoint.id, false);
      const again = await registerLocal.execute();
      expect(again).to.deep.equal({
        endpoint: { ...first.endpoint, previousSecretExpiresAt: new Date(now + GRACE_MS) },
        secret: secretOf(3),
        created: false,
        receiver: 'taken',
      });
      expect(await list.execute()).to.deep.equal([again.endpoint]);
      expect(receiver.handedOver.map((h) => h.secret)).to.deep.equal([secretOf(2), secretOf(3)]);
    });

    it('refuses to register it when insecure URLs are not allowed', async () => {
      build(false);
      const refused = new RegisterLocalReceiver(receiver, endpoints, register, setEnabled, rotate, silentLogger());
      expect((await fieldErrors(refused.execute()))[0]?.field).to.equal('url');
      expect(receiver.handedOver).to.deep.equal([]);
    });
  });
});
