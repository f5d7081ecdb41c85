import type { SecretGenerator } from '../../src/application/ports/secret-generator.js';
import type { WebhookAddressCheck } from '../../src/application/ports/webhook-sender.js';
import { ValidationError } from '../../src/domain/errors.js';

/** Bytes that say which call made them: the first call's are all 1, the second's all 2… */
export class CountingSecretGenerator implements SecretGenerator {
  private calls = 0;
  randomBytes(size: number): Uint8Array {
    return new Uint8Array(size).fill(++this.calls);
  }
}

/** Refuses the hosts a test names, as the real check refuses a host that resolves to a private address; remembers what it was asked. */
export class FakeAddressCheck implements WebhookAddressCheck {
  readonly checked: string[] = [];
  constructor(private readonly refusedHosts: readonly string[] = ['intranet.example.com']) {}

  async check(url: string): Promise<void> {
    this.checked.push(url);
    const host = new URL(url).hostname;
    if (this.refusedHosts.includes(host)) throw new ValidationError([{ field: 'url', message: `host "${host}" resolves to 10.1.2.3, a private address` }]);
  }
}

/** The endpoint id CountingSecretGenerator's `call`-th call makes. */
export const idOf = (call: number): string => `ep_${Buffer.alloc(12, call).toString('hex')}`;
/** The signing secret CountingSecretGenerator's `call`-th call makes. */
export const secretOf = (call: number): string => `whsec_${Buffer.alloc(32, call).toString('base64')}`;
