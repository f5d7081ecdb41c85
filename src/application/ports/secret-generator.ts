/** Unguessable values: the ids and signing secrets of webhook endpoints. */
export interface SecretGenerator {
  /** `size` bytes from a cryptographically secure source. */
  randomBytes(size: number): Uint8Array;
}

/** A new endpoint id: `ep_` and 24 hex digits (96 random bits), as WEBHOOK_ENDPOINT_ID reads them. */
export function newWebhookEndpointId(random: SecretGenerator): string {
  return `ep_${Buffer.from(random.randomBytes(12)).toString('hex')}`;
}

/** A new signing secret in the Standard Webhooks form: `whsec_` and the base64 of 32 random bytes. */
export function newWebhookSecret(random: SecretGenerator): string {
  return `whsec_${Buffer.from(random.randomBytes(32)).toString('base64')}`;
}
