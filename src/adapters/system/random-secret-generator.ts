import { randomBytes } from 'node:crypto';
import type { SecretGenerator } from '../../application/ports/secret-generator.js';

export class RandomSecretGenerator implements SecretGenerator {
  randomBytes(size: number): Uint8Array {
    return randomBytes(size);
  }
}
