import type { WebhookEndpoints, WebhookEndpointWithSecrets } from '../../application/ports/webhook-endpoints.js';
import { NOTIFICATION_KINDS, type NotificationKind } from '../../domain/notification.js';
import type { WebhookEndpoint } from '../../domain/webhook-endpoint.js';
import { translate } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';

interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  description: string | null;
  created_at: Date;
  previous_secret_expires_at: Date | null;
}

interface EndpointWithSecretsRow extends EndpointRow {
  secret: string;
  previous_secret: string | null;
}

const COLUMNS = 'id, url, events, enabled, description, created_at, previous_secret_expires_at';
// COLLATE "C": ids compare byte by byte, as InMemoryWebhookEndpoints compares them, whatever the database's locale.
const OLDEST_FIRST = 'ORDER BY created_at, id COLLATE "C"';

/** The registered webhook endpoints in PostgreSQL (a server or PGlite): every process on the database sees the same ones. */
export class PgWebhookEndpoints implements WebhookEndpoints {
  constructor(private readonly database: SqlDatabase) {}

  async add(endpoint: WebhookEndpoint, secret: string): Promise<void> {
    await this.query(
      `INSERT INTO webhook_endpoints (id, url, events, enabled, description, secret, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
      [endpoint.id, endpoint.url, [...endpoint.events], endpoint.enabled, endpoint.description ?? null, secret, endpoint.createdAt],
    );
  }

  async list(): Promise<WebhookEndpoint[]> {
    const rows = await this.query<EndpointRow>(`SELECT ${COLUMNS} FROM webhook_endpoints ${OLDEST_FIRST}`);
    return rows.map(endpointOf);
  }

  async get(id: string): Promise<WebhookEndpointWithSecrets | null> {
    const [row] = await this.query<EndpointWithSecretsRow>(`SELECT ${COLUMNS}, secret, previous_secret FROM webhook_endpoints WHERE id = $1`, [id]);
    if (!row) return null;
    const previous = row.previous_secret !== null && row.previous_secret_expires_at !== null ? { secret: row.previous_secret, expiresAt: row.previous_secret_expires_at } : undefined;
    return { endpoint: endpointOf(row), secrets: { current: row.secret, ...(previous ? { previous } : {}) } };
  }

  async subscribersOf(kind: NotificationKind): Promise<WebhookEndpoint[]> {
    const rows = await this.query<EndpointRow>(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE enabled AND $1 = ANY (events) ${OLDEST_FIRST}`, [kind]);
    return rows.map(endpointOf);
  }

  async setEnabled(id: string, enabled: boolean): Promise<WebhookEndpoint | null> {
    const [row] = await this.query<EndpointRow>(`UPDATE webhook_endpoints SET enabled = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [id, enabled]);
    return row ? endpointOf(row) : null;
  }

  async rotateSecret(id: string, secret: string, previousExpiresAt: Date): Promise<boolean> {
    // The right-hand sides read the row as it was: the current secret becomes the previous one, the previous one goes.
    const rows = await this.query(
      `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = $3, secret = $2, updated_at = now() WHERE id = $1 RETURNING 1`,
      [id, secret, previousExpiresAt],
    );
    return rows.length > 0;
  }

  async remove(id: string): Promise<boolean> {
    const rows = await this.query('DELETE FROM webhook_endpoints WHERE id = $1 RETURNING 1', [id]);
    return rows.length > 0;
  }

  private async query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]> {
    try {
      return (await this.database.query<R>(text, params)).rows;
    } catch (error) {
      throw translate(error);
    }
  }
}

function endpointOf(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    // In NOTIFICATION_KINDS order; a kind this version does not know (written by a later one) is left out.
    events: NOTIFICATION_KINDS.filter((kind) => row.events.includes(kind)),
    enabled: row.enabled,
    ...(row.description === null ? {} : { description: row.description }),
    createdAt: row.created_at,
    ...(row.previous_secret_expires_at === null ? {} : { previousSecretExpiresAt: row.previous_secret_expires_at }),
  };
}
