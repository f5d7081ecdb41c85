import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SecretDigest } from './request-trust.js';

/** How long an admin session cookie is valid (sent as Max-Age and checked here). */
export const ADMIN_SESSION_TTL_MS = 12 * 3_600_000;

const VERSION = 'v1';

/**
 * Stateless admin sessions: `v1.<expiry, epoch seconds>.<128 random bits>.<HMAC-SHA256>`, signed with a key
 * derived from ADMIN_TOKEN, so several api processes accept each other's cookies and changing the token ends
 * every session. The CSRF token is an HMAC of the session under a second derived key.
 */
export class AdminSessions {
  private readonly sessionKey: Buffer;
  private readonly csrfKey: Buffer;
  private readonly token: SecretDigest;

  constructor(
    adminToken: string,
    private readonly now: () => number = Date.now,
  ) {
    this.sessionKey = createHmac('sha256', adminToken).update('ordermail admin session').digest();
    this.csrfKey = createHmac('sha256', adminToken).update('ordermail admin csrf').digest();
    this.token = new SecretDigest(adminToken);
  }

  /** Constant time, whatever the length offered. */
  isAdminToken(offered: string): boolean {
    return this.token.matches(offered);
  }

  issue(): { cookie: string; maxAgeMs: number } {
    const expiry = Math.floor((this.now() + ADMIN_SESSION_TTL_MS) / 1000);
    const unsigned = `${VERSION}.${expiry}.${randomBytes(16).toString('base64url')}`;
    return { cookie: `${unsigned}.${this.sign(this.sessionKey, unsigned)}`, maxAgeMs: ADMIN_SESSION_TTL_MS };
  }

  /** The session's id (its unsigned part) when the cookie is authentic and not expired. */
  verify(cookie: string | undefined): string | undefined {
    const match = /^(v1\.(\d{1,12})\.[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(cookie ?? '');
    if (!match) return undefined;
    const [, unsigned = '', expiry = '', signature = ''] = match;
    if (!equal(signature, this.sign(this.sessionKey, unsigned))) return undefined;
    return Number(expiry) * 1000 > this.now() ? unsigned : undefined;
  }

  csrfToken(sessionId: string): string {
    return this.sign(this.csrfKey, sessionId);
  }

  isCsrfToken(sessionId: string, offered: string | undefined): boolean {
    return offered !== undefined && equal(offered, this.csrfToken(sessionId));
  }

  private sign(key: Buffer, data: string): string {
    return createHmac('sha256', key).update(data).digest('base64url');
  }
}


function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
