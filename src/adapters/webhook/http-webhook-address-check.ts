import { isIP } from 'node:net';
import type { WebhookAddressCheck } from '../../application/ports/webhook-sender.js';
import { ValidationError } from '../../domain/errors.js';
import { hostOf, refusalAmong, systemLookup, type HostLookup } from './address-rules.js';

export interface AddressCheckOptions {
  /** Loopback addresses are allowed (WEBHOOK_ALLOW_INSECURE=true, development). */
  readonly allowInsecure: boolean;
  /** The resolver; the system's by default. */
  readonly lookup?: HostLookup;
}

/** Errors of the resolver that mean the name has no address (rather than: the resolver could not answer now). */
const NO_SUCH_HOST = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

/**
 * Checks where a URL points when it is registered, with the rules the sender applies again at each delivery:
 * every address its host resolves to must be public (a literal IP is checked as it is).
 */
export class HttpWebhookAddressCheck implements WebhookAddressCheck {
  private readonly lookup: HostLookup;

  constructor(private readonly options: AddressCheckOptions) {
    this.lookup = options.lookup ?? systemLookup;
  }

  async check(url: string): Promise<void> {
    const refuse = (message: string): never => {
      throw new ValidationError([{ field: 'url', message }]);
    };
    let host: string;
    try {
      host = hostOf(new URL(url));
    } catch {
      return refuse('must be an absolute URL');
    }
    const addresses = isIP(host) !== 0 ? [host] : await this.resolve(host, refuse);
    if (addresses.length === 0) return refuse(`host "${host}" does not resolve`);
    const refusal = refusalAmong(addresses, this.options.allowInsecure);
    if (refusal !== undefined) refuse(refusal);
  }

  private async resolve(host: string, refuse: (message: string) => never): Promise<string[]> {
    try {
      return (await this.lookup(host)).map((entry) => entry.address);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && NO_SUCH_HOST.has(code)) return refuse(`host "${host}" does not resolve`);
      return refuse(`host "${host}" could not be resolved (${typeof code === 'string' ? code : 'resolver error'}): try again`);
    }
  }
}
