import type { LookupAddress, LookupOptions } from 'node:dns';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { WebhookDeliveryError, type WebhookRequest, type WebhookResponse, type WebhookSender } from '../../application/ports/webhook-sender.js';
import { hostOf, refusalAmong, systemLookup, type HostLookup } from './address-rules.js';

export interface HttpWebhookSenderOptions {
  /** Loopback addresses may be called (WEBHOOK_ALLOW_INSECURE=true, development); every other forbidden range stays closed. */
  readonly allowInsecure: boolean;
  /** `User-Agent` of every delivery: webhookUserAgent(the package's version). */
  readonly userAgent: string;
  /** The whole delivery: resolving, connecting, the request and the complete answer (WEBHOOK_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** The most of an answer that is read; the rest is not waited for (the status is what counts). */
  readonly maxResponseBytes?: number;
  /** The largest body posted: we build the body, so a bigger one is a bug, refused before it goes out. */
  readonly maxRequestBytes?: number;
  /** Connections kept open per endpoint (host and port), and in all. */
  readonly maxSocketsPerHost?: number;
  readonly maxSockets?: number;
  /** The resolver; the system's by default. */
  readonly lookup?: HostLookup;
}

export const webhookUserAgent = (version: string): string => `ordermail/${version} (+webhooks)`;

const TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_REQUEST_BYTES = 256 * 1024;
/** The longest `Retry-After` honoured: an endpoint cannot park its deliveries for a day. */
const RETRY_AFTER_MAX_MS = 60 * 60 * 1000;
/** How much of a refusing answer (its body, a redirect's Location) the error quotes, for whoever reads the dead letter. */
const QUOTE_MAX = 200;

/** The resolver could not find the name at all. */
const NO_SUCH_HOST = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

/** The lookup refused the addresses of the host: the connection is never opened. */
class AddressRefused extends Error {}

/** Our own deadline for the whole delivery passed. */
class DeliveryTimedOut extends Error {}

/**
 * Posts signed deliveries (Standard Webhooks) with node:http/https. Redirects are never followed. The host is
 * resolved by our `lookup` at connect time and refused when any of its addresses is forbidden; the connection
 * goes to the addresses that were checked, so DNS cannot swap in another between the check and the connect.
 * A host that does not resolve (ENOTFOUND) is `unreachable`, not refused: DNS may come back, and the endpoint's
 * circuit and retries deal with it.
 */
export class HttpWebhookSender implements WebhookSender {
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly maxRequestBytes: number;
  private readonly resolver: HostLookup;
  private readonly agents: { readonly 'http:': http.Agent; readonly 'https:': https.Agent };

  constructor(private readonly options: HttpWebhookSenderOptions) {
    this.timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
    this.maxResponseBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    this.maxRequestBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
    this.resolver = options.lookup ?? systemLookup;
    // An idle connection is closed after 4 s, before the common 5 s of servers, so a reused one is rarely half-closed.
    const agentOptions = { keepAlive: true, maxSockets: options.maxSocketsPerHost ?? 8, maxTotalSockets: options.maxSockets ?? 64, maxFreeSockets: 4, timeout: 4_000 };
    this.agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
  }

  async send(request: WebhookRequest): Promise<WebhookResponse> {
    const body = Buffer.from(request.body, 'utf8');
    if (body.length > this.maxRequestBytes) throw new WebhookDeliveryError('rejected', `the body is ${body.length} bytes, more than the ${this.maxRequestBytes} a delivery may carry`);
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw new WebhookDeliveryError('rejected', 'the endpoint URL is not an absolute URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookDeliveryError('rejected', `the endpoint URL uses ${url.protocol}, not https`);
    const host = hostOf(url);
    // A literal IP is never looked up, so it is checked here.
    if (isIP(host) !== 0) {
      const refusal = refusalAmong([host], this.options.allowInsecure);
      if (refusal !== undefined) throw new WebhookDeliveryError('address-refused', `the endpoint URL ${refusal}`);
    }
    const headers: Record<string, string | number> = {
      ...request.headers,
      'content-type': 'application/json',
      'content-length': body.length,
      'user-agent': this.options.userAgent,
      'webhook-id': request.id,
      'webhook-timestamp': Math.floor(request.timestamp.getTime() / 1000),
      'webhook-signature': this.signature(request),
    };
    const deadline = Date.now() + this.timeoutMs;
    try {
      return await this.post(url, headers, body, deadline, true);
    } catch (error) {
      // A kept-alive connection the server closed meanwhile fails before any answer: once more on a fresh one
      // (the receiver deduplicates by webhook-id, should the first have arrived after all).
      if (error instanceof StaleConnection) return this.post(url, headers, body, deadline, false);
      throw error;
    }
  }

  /** Closes the kept-alive connections (at shutdown). */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  /** `v1,<base64>` per secret, space-separated; a secret is never part of an error. */
  private signature(request: WebhookRequest): string {
    if (request.secrets.length === 0) throw new WebhookDeliveryError('rejected', 'no secret to sign the delivery with');
    return request.secrets
      .map((secret, index) => {
        try {
          return new Webhook(secret).sign(request.id, request.timestamp, request.body);
        } catch {
          throw new WebhookDeliveryError('rejected', `signing secret #${index + 1} is not a whsec_ base64 secret`);
        }
      })
      .join(' ');
  }

  /** Connects (at the checked addresses), posts, reads the answer up to its bound: all before the deadline. */
  private post(url: URL, headers: Record<string, string | number>, body: Buffer, deadline: number, retryStale: boolean): Promise<WebhookResponse> {
    return new Promise((resolve, reject) => {
      let request: ClientRequest | undefined;
      let answered = false;
      let settled = false;
      const settle = (outcome: WebhookResponse | Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const timer = setTimeout(() => {
        settle(
          new WebhookDeliveryError('unreachable', answered ? `the answer did not complete within ${this.timeoutMs} ms` : `no answer within ${this.timeoutMs} ms`, {
            cause: new DeliveryTimedOut(),
          }),
        );
        request?.destroy();
      }, Math.max(0, deadline - Date.now()));
      try {
        request = (url.protocol === 'https:' ? https : http).request(url, { method: 'POST', headers, agent: this.agents[url.protocol as 'http:' | 'https:'], lookup: this.lookup });
      } catch (error) {
        // Node checks header names and values as the request is built: only a caller's extra header can be wrong.
        settle(new WebhookDeliveryError('rejected', `the request could not be built: ${(error as Error).message}`, { cause: error }));
        return;
      }
      const sent = request;
      sent.on('error', (error: NodeJS.ErrnoException) => {
        if (retryStale && !answered && sent.reusedSocket && error.code === 'ECONNRESET') settle(new StaleConnection());
        else settle(this.failure(url, error));
      });
      sent.on('response', (response: IncomingMessage) => {
        answered = true;
        const code = response.statusCode ?? 0;
        if (code >= 200 && code < 300) {
          // Accepted: that is all a delivery needs. The body is read and dropped, and the connection given up if it runs long or late.
          settle({ status: code });
          let drained = 0;
          const cut = setTimeout(() => response.destroy(), Math.max(0, deadline - Date.now()));
          response.on('data', (chunk: Buffer) => {
            drained += chunk.length;
            if (drained > this.maxResponseBytes) response.destroy();
          });
          response.on('close', () => clearTimeout(cut));
          response.on('error', () => undefined);
          return;
        }
        const chunks: Buffer[] = [];
        let read = 0;
        const done = (): void => {
          settle(this.outcome(response, Buffer.concat(chunks)));
          // What is left unread is not waited for; the connection cannot be reused then.
          if (!response.complete) response.destroy();
        };
        response.on('data', (chunk: Buffer) => {
          if (read >= this.maxResponseBytes) return;
          chunks.push(chunk);
          read += chunk.length;
          if (read >= this.maxResponseBytes) done();
        });
        response.on('end', done);
        response.on('error', (error: NodeJS.ErrnoException) => settle(this.failure(url, error)));
        response.on('close', () => {
          if (!response.complete) settle(new WebhookDeliveryError('unreachable', 'the connection closed before the answer was complete'));
        });
      });
      sent.end(body);
    });
  }

  /**
   * Resolves for the connection, and refuses the host when any of its addresses is forbidden. Node asks it only
   * for names, and connects to exactly the addresses it hands back.
   */
  private readonly lookup: LookupFunction = (hostname: string, options: LookupOptions, callback) => {
    this.resolver(hostname).then(
      (found) => {
        const refusal = refusalAmong(
          found.map((entry) => entry.address),
          this.options.allowInsecure,
        );
        if (refusal !== undefined) return callback(new AddressRefused(`host "${hostname}" ${refusal}`), '');
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
        const usable: LookupAddress[] = found.filter((entry) => family === 0 || entry.family === family).map((entry) => ({ address: entry.address, family: entry.family }));
        const first = usable[0];
        if (first === undefined) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '');
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };

  /** The answer, sorted: 2xx delivered; 408, 429, 5xx tried again; any other (a redirect included) refused for good. */
  private outcome(response: IncomingMessage, body: Buffer): WebhookResponse | WebhookDeliveryError {
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return { status };
    const answered = `the endpoint answered ${status}${response.statusMessage ? ` ${quote(response.statusMessage)}` : ''}`;
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterMs = retryAfter(response.headers['retry-after']);
      return new WebhookDeliveryError('failed', `${answered}${said(body)}`, { status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
    }
    if (status >= 300 && status < 400) {
      const location = response.headers.location;
      return new WebhookDeliveryError('rejected', `${answered}, a redirect${location ? ` to ${quote(location)}` : ''}: redirects are not followed, register the final URL`, { status });
    }
    return new WebhookDeliveryError('rejected', `${answered}${said(body)}`, { status });
  }

  private failure(url: URL, error: NodeJS.ErrnoException): WebhookDeliveryError {
    if (error instanceof AddressRefused) return new WebhookDeliveryError('address-refused', error.message, { cause: error });
    const code = error.code ?? 'network error';
    if (NO_SUCH_HOST.has(code)) return new WebhookDeliveryError('unreachable', `host "${hostOf(url)}" does not resolve (${code}); tried again, DNS may come back`, { cause: error });
    return new WebhookDeliveryError('unreachable', `could not reach ${url.host}: ${error.message}`, { cause: error });
  }
}

/** A kept-alive connection turned out closed before the request got an answer. */
class StaleConnection extends Error {}

/** `Retry-After` as delay seconds or an HTTP date, in ms from now, at most an hour; undefined when absent or unreadable. */
export function retryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (Number.isNaN(ms)) return undefined;
  return Math.min(Math.max(0, ms), RETRY_AFTER_MAX_MS);
}

/** The start of what a refusing endpoint said, for the dead letter: printable text only, short. */
function said(body: Buffer): string {
  const text = quote(body.subarray(0, QUOTE_MAX * 4).toString('utf8'));
  return text === '' ? '' : `: ${text}`;
}

function quote(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return printable.length > QUOTE_MAX ? `${printable.slice(0, QUOTE_MAX)}…` : printable;
}
