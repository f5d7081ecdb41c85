import { createHash, timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
}

/** A secret kept as its SHA-256: compared with what a caller presents in constant time, whatever its length. */
export class SecretDigest {
  private readonly digest: Buffer;

  constructor(secret: string) {
    this.digest = sha256(secret);
  }

  matches(presented: string): boolean {
    return timingSafeEqual(sha256(presented), this.digest);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The entry the outermost of `trustedProxyCount` proxies wrote in an X-Forwarded-* header (each proxy
 * appends, so it is `trustedProxyCount` from the right); anything a client wrote further left is ignored.
 * Undefined when no proxy is trusted or the header is empty.
 */
export function forwardedByTrustedProxy(header: string, trustedProxyCount: number): string | undefined {
  if (trustedProxyCount === 0) return undefined;
  const hops = header.split(',').map((hop) => hop.trim()).filter(Boolean);
  return hops[Math.max(0, hops.length - trustedProxyCount)];
}
