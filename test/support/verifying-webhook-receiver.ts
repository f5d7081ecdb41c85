import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import { Webhook } from 'standardwebhooks';
import { eventually } from './processes.js';

/** The body of a delivery as far as the tests read it (schemas/webhook-event.v1.json). */
export interface WebhookEvent {
  readonly type: string;
  readonly timestamp: string;
  readonly data: { readonly orderId: string; readonly internalId: string; readonly status: string; readonly [field: string]: unknown };
}

/** One request the receiver took whole, and how it answered it. */
export interface ReceivedDelivery {
  readonly webhookId: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body, read once its signature was verified; absent when it was not. */
  readonly event?: WebhookEvent;
  /** Why the signature did not verify (the library's words); absent when it did. */
  readonly unverified?: string;
  /** The status it was answered with. */
  readonly status: number;
  readonly receivedAt: number;
}

interface Scripted {
  readonly status: number;
  readonly matches: (delivery: { webhookId: string; event?: WebhookEvent }) => boolean;
  times: number;
}

/**
 * A shop's webhook endpoint for end-to-end tests, on 127.0.0.1: verifies every delivery's signature with the
 * standardwebhooks library (401 when it does not verify), records each by webhook-id with the status it was
 * answered with (204 unless scripted otherwise), and can go down (its port refuses connections, the open ones are
 * cut) and come back on the same port.
 */
export class VerifyingWebhookReceiver {
  readonly requests: ReceivedDelivery[] = [];
  private readonly scripts: Scripted[] = [];
  private readonly sockets = new Set<Socket>();
  private secret?: string;
  private server: http.Server;
  private listening = false;

  private constructor(private listenPort: number) {
    this.server = this.create();
  }

  static async start(port = 0): Promise<VerifyingWebhookReceiver> {
    const receiver = new VerifyingWebhookReceiver(port);
    await receiver.comeBack();
    return receiver;
  }

  /** Where deliveries go: the URL to register. */
  get url(): string {
    return `http://127.0.0.1:${this.listenPort}/webhooks`;
  }

  get port(): number {
    return this.listenPort;
  }

  /** The endpoint's signing secret, as the admin API showed it once. */
  trust(secret: string): void {
    this.secret = secret;
  }

  /** Answers the next `times` deliveries that `matches` picks with `status` instead of 204. */
  answer(status: number, matches: Scripted['matches'], times = 1): void {
    this.scripts.push({ status, matches, times });
  }

  /** The deliveries it took (answered 2xx), in the order they came. */
  get accepted(): ReceivedDelivery[] {
    return this.requests.filter((request) => request.status >= 200 && request.status < 300);
  }

  /** How many times each webhook-id was taken (answered 2xx). */
  acceptedById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { webhookId } of this.accepted) counts.set(webhookId, (counts.get(webhookId) ?? 0) + 1);
    return counts;
  }

  /** The webhook-ids taken more than once. */
  duplicates(): string[] {
    return [...this.acceptedById()].filter(([, count]) => count > 1).map(([id]) => id);
  }

  /** Per order, the event types it took, in the order they came. */
  typesByOrder(): Record<string, string[]> {
    const byOrder: Record<string, string[]> = {};
    for (const { event } of this.accepted) if (event) (byOrder[event.data.orderId] ??= []).push(event.type);
    return byOrder;
  }

  /** Resolves once `done` holds for what was received; rejects with what did arrive. */
  async waitFor(done: (receiver: this) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    await eventually(async () => done(this), what, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}; ${this.accepted.length} deliveries taken, ${this.requests.length} requests`, { cause: error });
    });
  }

  /** Goes away: the port refuses connections, and the open ones (kept alive by the sender) are cut. */
  async goDown(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const old = this.server;
    const closed = new Promise<void>((resolve) => old.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
    this.server = this.create();
  }

  /** Listens again, on the same port. */
  async comeBack(): Promise<void> {
    if (this.listening) return;
    this.listening = true;
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(this.listenPort, '127.0.0.1', () => resolve());
      });
    } catch (error) {
      this.listening = false;
      throw error;
    }
    this.listenPort = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.goDown();
  }

  private create(): http.Server {
    const server = http.createServer();
    server.on('connection', (socket: Socket) => {
      // A connection that slipped in while going down is cut too.
      if (!this.listening) return void socket.destroy();
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        // Gone down while the body arrived: nothing taken, and no answer.
        if (!this.listening) return void request.socket.destroy();
        // Recorded and answered in one go, so that going down never cuts a delivery that was taken from its answer.
        response.writeHead(this.receive(request, Buffer.concat(chunks).toString('utf8')));
        response.end();
      });
    });
    return server;
  }

  private receive(request: IncomingMessage, body: string): number {
    const webhookId = headerOf(request, 'webhook-id');
    let event: WebhookEvent | undefined;
    let unverified: string | undefined;
    try {
      if (this.secret === undefined) throw new Error('no secret trusted yet');
      event = new Webhook(this.secret).verify(body, {
        'webhook-id': webhookId,
        'webhook-timestamp': headerOf(request, 'webhook-timestamp'),
        'webhook-signature': headerOf(request, 'webhook-signature'),
      }) as WebhookEvent;
    } catch (error) {
      unverified = (error as Error).message;
    }
    const script = event === undefined ? undefined : this.scripts.find((s) => s.times > 0 && s.matches({ webhookId, event }));
    if (script) script.times--;
    const status = unverified !== undefined ? 401 : (script?.status ?? 204);
    this.requests.push({ webhookId, headers: request.headers, body, ...(event ? { event } : {}), ...(unverified ? { unverified } : {}), status, receivedAt: Date.now() });
    return status;
  }
}

function headerOf(request: IncomingMessage, name: string): string {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** The environment the api and notifier need for webhooks to a receiver on 127.0.0.1, and the admin token it uses. */
export const WEBHOOK_TEST_ENV = { ADMIN_TOKEN: 'admin-token-for-webhook-tests', WEBHOOK_ALLOW_INSECURE: 'true' } as const;

/** An admin API call on a running api, with `Authorization: Bearer <ADMIN_TOKEN>`. */
export type AdminCall = (method: 'GET' | 'POST', path: string, body?: object) => Promise<{ status: number; body: Record<string, unknown> }>;

/** Calls the admin API at `base` with the test environment's token. */
export function adminCallTo(base: () => string): AdminCall {
  return async (method, path, body) => {
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${WEBHOOK_TEST_ENV.ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
}

/**
 * Registers `receiver` for `events` through the admin API, hands it the secret, and resolves with the endpoint's id.
 * The notifiers read the registry through a one-second cache: wait that long before counting on the endpoint.
 */
export async function registerEndpoint(admin: AdminCall, receiver: VerifyingWebhookReceiver, events: readonly string[], description?: string): Promise<string> {
  const { status, body } = await admin('POST', '/admin/api/webhooks', { url: receiver.url, events, ...(description === undefined ? {} : { description }) });
  expect(status, `POST /admin/api/webhooks: ${JSON.stringify(body)}`).to.equal(201);
  const { endpoint, secret } = body as { endpoint: { id: string }; secret: string };
  receiver.trust(secret);
  return endpoint.id;
}

/** Longer than the notifiers' cache of the registry (1 s): a registration or a disabling has then reached them. */
export const REGISTRY_CACHE_MS = 1200;

/** schemas/webhook-event.v1.json, the file receivers are given, with its formats checked. */
const validateEvent = (() => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(new URL('../../schemas/webhook-event.v1.json', import.meta.url), 'utf8')) as object);
})();

/**
 * What is wrong with the deliveries as a receiver sees them: a signature that does not verify, a body the schema
 * refuses, a `User-Agent` that does not name ordermail, a body that is not JSON by its content type, a webhook-id
 * other than `msg_<kind>_<internal id>`, or an internal id other than the order's (when `internalIds` knows it).
 */
export function deliveryProblems(deliveries: readonly ReceivedDelivery[], internalIds: ReadonlyMap<string, string> = new Map()): string[] {
  return deliveries.flatMap((delivery) => {
    const { event, webhookId, headers } = delivery;
    if (!event) return [`${webhookId}: signature not verified (${delivery.unverified ?? '?'})`];
    const problems: string[] = [];
    if (!validateEvent(event)) problems.push(`body refused by webhook-event.v1.json: ${JSON.stringify(validateEvent.errors)}`);
    if (!/^ordermail\/\S+/.test(headers['user-agent'] ?? '')) problems.push(`User-Agent ${String(headers['user-agent'])}`);
    if (!/^application\/json\b/.test(headers['content-type'] ?? '')) problems.push(`Content-Type ${String(headers['content-type'])}`);
    if (webhookId !== `msg_${event.type.replace('.', '-')}_${event.data.internalId}`) problems.push(`webhook-id ${webhookId} for ${event.type} of ${event.data.internalId}`);
    const internalId = internalIds.get(event.data.orderId);
    if (internalId !== undefined && event.data.internalId !== internalId) problems.push(`internal id ${event.data.internalId}, not ${internalId}`);
    return problems.map((problem) => `${event.data.orderId} ${webhookId}: ${problem}`);
  });
}
