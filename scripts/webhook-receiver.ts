// The local webhook receiver behind `npm run receiver`: verifies each delivery's signature the way a shop's
// system would (with the standardwebhooks library), deduplicates by webhook-id and prints one line per delivery.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { BlockList, type AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceiverOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Secrets known from the start, by where they came from (`--secret`, `WEBHOOK_SECRET`). */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Answers 503 to every delivery for this long after starting (a demo of retries). */
  readonly failForMs?: number;
  /** Where the lines go. */
  readonly print: (line: string) => void;
  readonly now?: () => number;
}

/** The most of a request body read; a delivery is far smaller. */
const MAX_BODY_BYTES = 1024 * 1024;
/** The webhook-ids remembered for deduplication, the oldest forgotten first. */
const REMEMBERED_IDS = 10_000;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether a peer address is this machine's loopback (IPv4-mapped included). */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  try {
    return LOOPBACK.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
}

export class WebhookReceiver {
  /** Signing secrets by where they came from: `--secret`, `WEBHOOK_SECRET`, or an endpoint id handed over by the admin. */
  readonly secrets = new Map<string, string>();
  private readonly seen = new Set<string>();
  private readonly now: () => number;
  private readonly failUntil: number;

  private constructor(
    private readonly server: http.Server,
    private readonly options: ReceiverOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.failUntil = this.now() + (options.failForMs ?? 0);
    for (const [source, secret] of Object.entries(options.secrets ?? {})) this.secrets.set(source, secret);
  }

  static async start(options: ReceiverOptions): Promise<WebhookReceiver> {
    const server = http.createServer();
    const receiver = new WebhookReceiver(server, options);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      receiver.handle(request, response).catch((error: unknown) => {
        options.print(`${new Date(receiver.now()).toISOString()}  error: ${(error as Error).message}`);
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, '127.0.0.1', resolve);
    });
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Where deliveries go: the URL to register. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/webhooks`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://receiver').pathname;
    if (path !== '/webhooks' && path !== '/secrets') return answer(response, 404, 'POST deliveries to /webhooks\n');
    if (request.method !== 'POST') return answer(response, 405, 'POST only\n', { allow: 'POST' });
    const body = await readBody(request);
    if (body === undefined) return answer(response, 413, `at most ${MAX_BODY_BYTES} bytes\n`);
    if (path === '/secrets') return this.takeSecret(request, response, body);
    return this.receive(request, response, body);
  }

  /** A delivery: verified or not, a repeat or new, during --fail-for or after. */
  private receive(request: IncomingMessage, response: ServerResponse, body: string): void {
    const id = header(request, 'webhook-id') ?? '-';
    const event = summary(body);
    const line = (verdict: string): void => this.options.print(`${new Date(this.now()).toISOString()}  ${verdict}  ${id}  ${event}`);
    const remainingMs = this.failUntil - this.now();
    if (remainingMs > 0) {
      line(`503 (--fail-for, ${Math.ceil(remainingMs / 1000)} s left)`);
      return answer(response, 503, 'failing on purpose (--fail-for)\n');
    }
    const verification = this.verify(request, body);
    if ('reason' in verification) {
      line(`NOT VERIFIED (${verification.reason})`);
      return answer(response, 401, `not verified: ${verification.reason}\n`);
    }
    if (this.seen.has(id)) {
      line(`verified (${verification.source}), duplicate`);
      return answer(response, 204);
    }
    this.remember(id);
    line(`verified (${verification.source})`);
    answer(response, 204);
  }

  /** Checks the signature against every known secret: the library checks the timestamp too (5 minutes). */
  private verify(request: IncomingMessage, body: string): { source: string } | { reason: string } {
    if (this.secrets.size === 0) return { reason: 'no secret known: pass --secret whsec_…, set WEBHOOK_SECRET, or register this receiver from the admin page' };
    const headers = {
      'webhook-id': header(request, 'webhook-id') ?? '',
      'webhook-timestamp': header(request, 'webhook-timestamp') ?? '',
      'webhook-signature': header(request, 'webhook-signature') ?? '',
    };
    let reason = 'no secret matched';
    for (const [source, secret] of this.secrets) {
      try {
        new Webhook(secret).verify(body, headers);
        return { source };
      } catch (error) {
        reason = (error as Error).message;
      }
    }
    return { reason };
  }

  /**
   * `{ endpointId, secret }` from the admin's one-click registration. Only a loopback peer, and only as JSON
   * with no Origin: a web page in the developer's browser cannot plant a secret it knows.
   */
  private takeSecret(request: IncomingMessage, response: ServerResponse, body: string): void {
    if (!isLoopbackPeer(request.socket.remoteAddress)) return answer(response, 403, 'secrets are taken from this machine only\n');
    if (request.headers.origin !== undefined) return answer(response, 403, 'secrets are not taken from a browser\n');
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) return answer(response, 415, 'send JSON\n');
    let input: { endpointId?: unknown; secret?: unknown };
    try {
      input = JSON.parse(body) as typeof input;
    } catch {
      return answer(response, 400, 'not JSON\n');
    }
    const { endpointId, secret } = input ?? {};
    if (typeof endpointId !== 'string' || !/^[\w.-]{1,100}$/.test(endpointId)) return answer(response, 400, 'endpointId must be an endpoint id\n');
    if (typeof secret !== 'string' || !usableSecret(secret)) return answer(response, 400, 'secret must be a whsec_ secret\n');
    this.secrets.set(endpointId, secret);
    this.options.print(`${new Date(this.now()).toISOString()}  secret for ${endpointId} received (${this.secrets.size} known)`);
    answer(response, 204);
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > REMEMBERED_IDS) this.seen.delete(this.seen.values().next().value as string);
  }
}

function answer(response: ServerResponse, status: number, text?: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, text === undefined ? headers : { 'content-type': 'text/plain; charset=utf-8', ...headers });
  response.end(text);
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body of a request, or undefined when it is over the bound. */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `order.shipped  order A-1  status shipped`, from the body as far as it reads. */
function summary(body: string): string {
  let event: { type?: unknown; data?: { orderId?: unknown; status?: unknown } };
  try {
    event = JSON.parse(body) as typeof event;
  } catch {
    return '(body is not JSON)';
  }
  const parts = [String(event?.type ?? '?'), `order ${String(event?.data?.orderId ?? '?')}`];
  if (event?.data?.status !== undefined) parts.push(`status ${String(event.data.status)}`);
  return parts.join('  ');
}

/** Whether it is a secret in the form the admin API shows (`whsec_` and base64) that the library can verify with. */
export function usableSecret(secret: string): boolean {
  if (!secret.startsWith('whsec_')) return false;
  try {
    new Webhook(secret);
    return true;
  } catch {
    return false;
  }
}
