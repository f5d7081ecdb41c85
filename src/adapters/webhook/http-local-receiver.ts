import type { HandOverOutcome, LocalReceiver } from '../../application/ports/local-receiver.js';

/** How long the hand-over may take: the receiver is on this machine, or not running at all. */
const HAND_OVER_TIMEOUT_MS = 2000;

/**
 * The development receiver (`npm run receiver`) on RECEIVER_PORT: deliveries go to
 * `http://127.0.0.1:<port>/webhooks` (the address it listens on: `localhost` may resolve to ::1 first), and its secrets are handed over with `POST http://127.0.0.1:<port>/secrets`
 * (which it accepts only from loopback).
 */
export class HttpLocalReceiver implements LocalReceiver {
  readonly url: string;
  private readonly secretsUrl: string;
  private readonly timeoutMs: number;

  constructor(options: { readonly port: number; readonly timeoutMs?: number }) {
    this.url = `http://127.0.0.1:${options.port}/webhooks`;
    this.secretsUrl = `http://127.0.0.1:${options.port}/secrets`;
    this.timeoutMs = options.timeoutMs ?? HAND_OVER_TIMEOUT_MS;
  }

  async handOver(endpointId: string, secret: string): Promise<HandOverOutcome> {
    try {
      const response = await fetch(this.secretsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ endpointId, secret }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body?.cancel();
      return response.ok ? 'taken' : 'refused';
    } catch {
      // Connection refused (not running), or no answer in time.
      return 'unreachable';
    }
  }
}
