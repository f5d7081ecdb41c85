import { existsSync, readFileSync } from 'node:fs';
import { readDkimPrivateKey, type DkimSettings } from '../adapters/smtp/dkim-key.js';
import { canonicalLocale, LOCALE_RULES } from '../domain/locale.js';
import { ORDER_CREATED_MAX_BYTES } from '../domain/order-created.js';

export const ROLES = ['all', 'api', 'relay', 'notifier', 'migrate', 'dlq-replay'] as const;
export type Role = (typeof ROLES)[number];
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Config {
  readonly serviceName: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  /** SIGTERM/SIGINT: everything is stopped within this, or the process exits 1. */
  readonly shutdownTimeoutMs: number;
  /** SIGTERM/SIGINT: keep-alive clients get this long to finish their requests before idle connections are closed. */
  readonly httpDrainMs: number;
  /** Turns the admin page and its API on, and protects them. */
  readonly adminToken?: string;
  /** Callers of the order routes must present one of these (Bearer); unset = the routes are open. */
  readonly apiKeys?: readonly string[];
  /** A token bucket per caller on POST /orders; absent = no limit. */
  readonly orderRateLimit?: { readonly perSecond: number; readonly burst: number };
  /** Proxies in front whose X-Forwarded-For / -Proto are believed; 0 = the socket's address is the client's, no forwarded header believed. */
  readonly trustedProxyCount: number;
  /** --role=all: where the embedded database keeps its files. */
  readonly dataDir: string;
  /** --role=all: the embedded inbox's SMTP port. */
  readonly inboxSmtpPort: number;
  /** --role=all: the embedded inbox refuses larger messages (552) and keeps at most this many, dropping the oldest. */
  readonly inboxLimits: { readonly maxMessageBytes: number; readonly maxMessages: number };
  readonly databaseUrl?: string;
  readonly databasePoolSize: number;
  readonly kafka: {
    readonly brokers?: readonly string[];
    readonly clientId: string;
    readonly topic: string;
    readonly deadLetterTopic: string;
    readonly partitions: number;
    readonly replicationFactor: number;
    readonly groupId: string;
    readonly maxRequestBytes: number;
    readonly compression: 'gzip' | 'none';
  };
  readonly relay: {
    readonly enabled: boolean;
    readonly batchSize: number;
    readonly pollIntervalMs: number;
    readonly lingerMs: number;
    /** Published outbox events older than this are deleted; 0 keeps them. */
    readonly retentionMs: number;
  };
  readonly smtp: {
    /** The primary provider: the first of `urls`. */
    readonly url?: string;
    /** Every provider, in the order they are tried (SMTP_URL, then SMTP_FALLBACK_URL); empty when SMTP_URL is unset. */
    readonly urls: readonly string[];
    readonly from: string;
    readonly defaultTo?: string;
    readonly rateLimit?: number;
    /** Every email is signed with this key (DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY or _FILE); unset = unsigned. */
    readonly dkim?: DkimSettings;
  };
  readonly notifier: {
    readonly maxRetries: number;
    readonly retryBaseMs: number;
    readonly leaseMs: number;
    /** Orders emailed to one recipient in any hour; 0 = no cap. */
    readonly maxPerRecipientPerHour: number;
    readonly opsPort: number;
  };
  readonly webhooks: {
    /** Development: endpoints may be `http://localhost…`, and loopback addresses may be called. Never in production. */
    readonly allowInsecure: boolean;
    /** One delivery, from connecting to the end of the answer. */
    readonly timeoutMs: number;
    /** After a rotation, how long the previous secret still signs beside the new one. */
    readonly secretGraceMs: number;
    /** The development receiver (`npm run receiver`): http://127.0.0.1:<port>/webhooks. */
    readonly receiverPort: number;
  };
  /** What the emails say and look like: the shop's brand, its own templates, the language of orders without one. */
  readonly emails: {
    /** The shop's templates, each replacing the built-in one of the same name (or adding a language); unset = the built-in ones. */
    readonly templatesDir?: string;
    /** Canonical BCP 47: the language of orders placed without a locale, and the fallback before en. */
    readonly defaultLocale: string;
    /** An IANA time zone: the emails' dates are written in it. */
    readonly timeZone: string;
    readonly shop: {
      readonly name: string;
      /** https only: an image the customer's mail client loads. */
      readonly logoUrl?: string;
      readonly supportEmail?: string;
      /** #rgb or #rrggbb. */
      readonly brandColor: string;
    };
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The only reader of the environment: every setting, its default, and its check. Throws ConfigError listing every bad variable. */
/**
 * Reads the configuration; `role`, when given, sets the defaults that differ by role: the embedded mode
 * (--role=all with none of DATABASE_URL, KAFKA_BROKERS and SMTP_URL: everything on this machine) allows insecure webhook URLs
 * unless WEBHOOK_ALLOW_INSECURE says otherwise, so its admin page can register the local receiver.
 */
export function loadConfig(env: Env = readEnvironment(), role?: Role): Config {
  const problems: string[] = [];
  const read = new Reader(env, problems);
  const shutdownTimeoutMs = read.integer('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 120_000);
  const ordersPerSecond = read.number('RATE_LIMIT_ORDERS_PER_SECOND', 1000, 0, 1_000_000);
  const orderBurst = read.integer('RATE_LIMIT_BURST', Math.max(1, Math.ceil(2 * ordersPerSecond)), 1, 10_000_000);
  const config: Config = {
    serviceName: read.string('SERVICE_NAME', 'ordermail'),
    port: read.integer('PORT', 3000, 0, 65535),
    logLevel: read.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    shutdownTimeoutMs,
    // Shorter than the whole deadline: requests already read and the relay's last flush need the rest.
    httpDrainMs: read.integer('SHUTDOWN_HTTP_DRAIN_MS', Math.floor(shutdownTimeoutMs / 2), 0, shutdownTimeoutMs - 1),
    ...read.optional('ADMIN_TOKEN', (value) => (value.length >= 16 ? { adminToken: value } : 'must be at least 16 characters')),
    ...read.optional('API_KEYS', (value) => {
      const apiKeys = value.split(',').map((key) => key.trim()).filter(Boolean);
      return apiKeys.length > 0 && apiKeys.every((key) => key.length >= 16 && /^[\x21-\x7e]+$/.test(key))
        ? { apiKeys }
        : 'must be keys of at least 16 printable characters without spaces, separated by commas';
    }),
    ...(ordersPerSecond > 0 ? { orderRateLimit: { perSecond: ordersPerSecond, burst: orderBurst } } : {}),
    trustedProxyCount: read.integer('TRUSTED_PROXY_COUNT', 0, 0, 10),
    dataDir: read.string('DATA_DIR', './data'),
    inboxSmtpPort: read.integer('INBOX_SMTP_PORT', 2525, 0, 65535),
    inboxLimits: {
      maxMessageBytes: read.integer('INBOX_MAX_MESSAGE_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
      maxMessages: read.integer('INBOX_MAX_MESSAGES', 500, 1, 100_000),
    },
    ...read.optional('DATABASE_URL', (value) => (/^postgres(ql)?:\/\//.test(value) ? { databaseUrl: value } : 'must start with postgres://')),
    databasePoolSize: read.integer('DATABASE_POOL_SIZE', 10, 1, 200),
    kafka: {
      ...read.optional('KAFKA_BROKERS', (value) => {
        const brokers = value.split(',').map((b) => b.trim()).filter(Boolean);
        return brokers.length > 0 && brokers.every((b) => /^[^:\s]+:\d{1,5}$/.test(b)) ? { brokers } : 'must be host:port[,host:port...]';
      }),
      clientId: read.string('KAFKA_CLIENT_ID', 'ordermail'),
      topic: read.string('KAFKA_TOPIC', 'order-created'),
      deadLetterTopic: read.string('KAFKA_DLQ_TOPIC', `${env.KAFKA_TOPIC ?? 'order-created'}.dlq`),
      partitions: read.integer('KAFKA_PARTITIONS', 6, 1, 1000),
      replicationFactor: read.integer('KAFKA_REPLICATION_FACTOR', 1, 1, 10),
      groupId: read.string('KAFKA_GROUP_ID', 'ordermail-notifier'),
      // Never below the largest event the api accepts plus its envelope, or that event could not be published.
      maxRequestBytes: read.integer('KAFKA_MAX_REQUEST_BYTES', 512 * 1024, ORDER_CREATED_MAX_BYTES + 4096, 64 * 1024 * 1024),
      compression: read.oneOf('KAFKA_COMPRESSION', ['gzip', 'none'] as const, 'gzip'),
    },
    relay: {
      enabled: read.boolean('RELAY_ENABLED', true),
      batchSize: read.integer('RELAY_BATCH_SIZE', 200, 1, 10_000),
      pollIntervalMs: read.integer('RELAY_POLL_INTERVAL_MS', 1000, 10, 60_000),
      lingerMs: read.integer('RELAY_LINGER_MS', 2, 0, 1000),
      retentionMs: read.integer('OUTBOX_RETENTION_HOURS', 72, 0, 24 * 365) * 3_600_000,
    },
    smtp: {
      ...readSmtpUrls(read, problems),
      from: read.string('MAIL_FROM', 'ordermail <orders@ordermail.local>'),
      ...read.optional('NOTIFY_DEFAULT_TO', (value) => (/^[^\s@]+@[^\s@]+$/.test(value) ? { defaultTo: value } : 'must be an email address')),
      ...read.optional('SMTP_RATE_LIMIT', (value) => {
        const rate = Number(value);
        return Number.isFinite(rate) && rate > 0 ? { rateLimit: rate } : 'must be a positive number of messages per second';
      }),
      ...readDkim(read, problems),
    },
    notifier: {
      maxRetries: read.integer('NOTIFY_MAX_RETRIES', 5, 0, 20),
      retryBaseMs: read.integer('NOTIFY_RETRY_BASE_MS', 1000, 1, 60_000),
      leaseMs: read.integer('NOTIFY_LEASE_MS', 60_000, 1000, 3_600_000),
      maxPerRecipientPerHour: read.integer('NOTIFY_MAX_PER_RECIPIENT_PER_HOUR', 20, 0, 100_000),
      opsPort: read.integer('OPS_PORT', 9464, 0, 65535),
    },
    webhooks: {
      allowInsecure: read.boolean('WEBHOOK_ALLOW_INSECURE', role === 'all' && !env.DATABASE_URL?.trim() && !env.SMTP_URL?.trim() && !env.KAFKA_BROKERS?.trim()),
      timeoutMs: read.integer('WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
      secretGraceMs: read.integer('WEBHOOK_SECRET_GRACE_MS', 86_400_000, 0, 30 * 86_400_000),
      receiverPort: read.integer('RECEIVER_PORT', 4400, 1, 65535),
    },
    emails: {
      ...read.optional('TEMPLATES_DIR', (value) => ({ templatesDir: value })),
      defaultLocale: read.parsed('DEFAULT_LOCALE', 'en', (value) => {
        const locale = canonicalLocale(value);
        return locale === undefined ? LOCALE_RULES.message : { value: locale };
      }),
      timeZone: read.parsed('SHOP_TIME_ZONE', 'UTC', (value) => (isTimeZone(value) ? { value } : 'must be an IANA time zone such as UTC or Europe/Berlin')),
      shop: {
        name: read.string('SHOP_NAME', 'ordermail'),
        ...read.optional('SHOP_LOGO_URL', (value) => (isHttpsUrl(value) && value.length <= 2048 ? { logoUrl: value } : 'must be an https:// URL of at most 2048 characters')),
        ...read.optional('SHOP_SUPPORT_EMAIL', (value) => (/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(value) ? { supportEmail: value } : 'must be an email address')),
        brandColor: read.parsed('SHOP_BRAND_COLOR', '#2b6cb0', (value) => (/^#(?:[0-9a-fA-F]{3}){1,2}$/.test(value) ? { value } : 'must be a hex colour such as #2b6cb0')),
      },
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** process.env over an optional ./.env (the environment wins); also what the scripts read settings from. */
export function readEnvironment(): Env {
  const file = process.env.ORDERMAIL_ENV_FILE ?? '.env';
  if (existsSync(file)) {
    const before = { ...process.env };
    process.loadEnvFile(file);
    Object.assign(process.env, before);
  }
  return process.env;
}

class Reader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (Number.isInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    this.problems.push(`${name}: must be an integer from ${min} to ${max} (got "${value}")`);
    return fallback;
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (Number.isFinite(parsed) && parsed >= min && parsed <= max) return parsed;
    this.problems.push(`${name}: must be a number from ${min} to ${max} (got "${value}")`);
    return fallback;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    this.problems.push(`${name}: must be true or false (got "${value}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}: must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }

  /** `parse` returns the value to use (canonical, say) in an object, or a problem description. */
  parsed<T>(name: string, fallback: T, parse: (value: string) => { readonly value: T } | string): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = parse(value);
    if (typeof parsed !== 'string') return parsed.value;
    this.problems.push(`${name}: ${parsed} (got "${value}")`);
    return fallback;
  }

  /** `parse` returns the fields to spread, or a problem description. */
  optional<T extends object>(name: string, parse: (value: string) => T | string): Partial<T> {
    const value = this.raw(name);
    if (value === undefined) return {};
    const parsed = parse(value);
    if (typeof parsed === 'string') {
      this.problems.push(`${name}: ${parsed}`);
      return {};
    }
    return parsed;
  }
}

/**
 * SMTP_URL, then SMTP_FALLBACK_URL: each a comma-separated list of providers, in the order they are tried.
 * Two entries naming one host:port would be one server twice, so a failover to it would change nothing: refused.
 */
function readSmtpUrls(read: Reader, problems: string[]): { url?: string; urls: readonly string[] } {
  const list = (name: string): string[] =>
    read.optional(name, (value) => {
      const urls = value.split(',').map((url) => url.trim()).filter(Boolean);
      const bad = urls.filter((url) => smtpProviderName(url) === undefined);
      if (urls.length === 0 || bad.length > 0) return `must be smtp://user:pass@host:587 or smtps://…, several separated by commas (a comma in a password written %2C)`;
      return { urls };
    }).urls ?? [];
  const primary = list('SMTP_URL');
  const fallback = list('SMTP_FALLBACK_URL');
  if (fallback.length > 0 && primary.length === 0 && read.raw('SMTP_URL') === undefined) problems.push('SMTP_FALLBACK_URL: needs SMTP_URL (the provider tried first)');
  const urls = [...primary, ...fallback];
  const names = urls.map((url) => smtpProviderName(url) as string);
  for (const [index, name] of names.entries())
    if (names.indexOf(name) !== index)
      problems.push(`${index < primary.length ? 'SMTP_URL' : 'SMTP_FALLBACK_URL'}: ${name} is listed twice (SMTP_URL and SMTP_FALLBACK_URL together): each provider once`);
  return urls[0] === undefined ? { urls: [] } : { url: urls[0], urls };
}

/**
 * A provider's name: the host:port of its URL (the port nodemailer would use when none is written), never its
 * credentials; what the logs, the ledger and the admin page say. Undefined when it is not an smtp(s) URL.
 */
export function smtpProviderName(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if ((parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') || parsed.hostname === '') return undefined;
  return `${parsed.hostname.toLowerCase()}:${parsed.port || (parsed.protocol === 'smtps:' ? '465' : '587')}`;
}

/** A host name of dotted labels (ASCII; an IDN in its xn-- form). */
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;
/** A DKIM selector: one or more dotted labels (RFC 6376 §3.1). */
const DKIM_SELECTOR = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * DKIM_*: all of them or none. The key is read and checked here (RSA of 2048 bits or more, or Ed25519), so a bad
 * one stops start-up rather than the first email; a problem names the variable and never repeats the key.
 */
function readDkim(read: Reader, problems: string[]): { dkim?: DkimSettings } {
  const domainName = read.raw('DKIM_DOMAIN');
  const keySelector = read.raw('DKIM_SELECTOR');
  const pem = read.raw('DKIM_PRIVATE_KEY');
  const keyFile = read.raw('DKIM_PRIVATE_KEY_FILE');
  if (domainName === undefined && keySelector === undefined && pem === undefined && keyFile === undefined) return {};
  const before = problems.length;
  if (domainName === undefined) problems.push('DKIM_DOMAIN: required to sign with DKIM (the d= domain, normally that of MAIL_FROM)');
  else if (!DOMAIN_NAME.test(domainName)) problems.push(`DKIM_DOMAIN: must be a domain name such as shop.example (got "${domainName}")`);
  if (keySelector === undefined) problems.push('DKIM_SELECTOR: required to sign with DKIM (the s= selector: the key is published at <selector>._domainkey.<domain>)');
  else if (!DKIM_SELECTOR.test(keySelector)) problems.push(`DKIM_SELECTOR: must be letters, digits and hyphens, in dotted labels (got "${keySelector}")`);
  let privateKey: string | undefined;
  if (pem !== undefined && keyFile !== undefined) problems.push('DKIM_PRIVATE_KEY_FILE: set either DKIM_PRIVATE_KEY or DKIM_PRIVATE_KEY_FILE, not both');
  // A one-line value (an env file, a CI secret) may write the PEM's line breaks as \n.
  else if (pem !== undefined) privateKey = checkedKey('DKIM_PRIVATE_KEY', pem.replace(/\\n/g, '\n').trim(), problems);
  else if (keyFile !== undefined) {
    try {
      privateKey = checkedKey('DKIM_PRIVATE_KEY_FILE', readFileSync(keyFile, 'utf8').trim(), problems);
    } catch (error) {
      problems.push(`DKIM_PRIVATE_KEY_FILE: cannot read ${keyFile} (${(error as { code?: string }).code ?? (error as Error).message})`);
    }
  } else problems.push('DKIM_PRIVATE_KEY: required to sign with DKIM (a PEM private key; or DKIM_PRIVATE_KEY_FILE, its path)');
  if (problems.length > before || domainName === undefined || keySelector === undefined || privateKey === undefined) return {};
  return { dkim: { domainName: domainName.toLowerCase(), keySelector, privateKey } };
}

function checkedKey(name: string, pem: string, problems: string[]): string | undefined {
  const read = readDkimPrivateKey(pem);
  if ('problem' in read) {
    problems.push(`${name}: ${read.problem}`);
    return undefined;
  }
  return pem;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/** The domain of the sender's address (MAIL_FROM), the right-hand side of every Message-ID; ordermail.local when it has none. */
export function messageIdDomainOf(from: string): string {
  return /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'ordermail.local';
}
