import { Kafka, logLevel, type ConfigResourceTypes, type LogEntry } from 'kafkajs';
import type { Logger } from '../../application/ports/logger.js';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
}

const LEVELS: Record<number, 'debug' | 'info' | 'warn' | 'error'> = {
  [logLevel.ERROR]: 'warn',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'debug',
  [logLevel.DEBUG]: 'debug',
};
// kafkajs reports every failed connection attempt; during an outage our adapters log the outage once instead.
const CONNECTION_NOISE = /Connection error|Failed to connect|ECONNREFUSED|Connection timeout|Closed connection|disconnected|Broker .* not available/i;

/** What a health check may say in public of a Kafka failure: its kind, not the broker's address (that is in the logs). */
export function publicKafkaReason(message: string): string {
  return CONNECTION_NOISE.test(message) || /ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|no acknowledgement/i.test(message) ? 'broker unreachable' : 'broker failing';
}

/** A kafkajs client whose logs go through our logger, with short retries: callers own the longer backoff. */
export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 200, retries: 3, maxRetryTime: 2000 },
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
        const text = String(message);
        log[CONNECTION_NOISE.test(text) ? 'debug' : (LEVELS[level] ?? 'debug')](text, fields);
      },
  });
}

// kafkajs's ConfigResourceTypes.TOPIC, which its CommonJS build does not offer as a named ESM export.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  /** Topic settings at creation, e.g. max.message.bytes. */
  readonly configEntries?: readonly { readonly name: string; readonly value: string }[];
}

/**
 * Creates the topics that are missing (existing ones are left as they are); resolves with the smallest
 * `max.message.bytes` among them, the largest record batch the broker takes, or undefined if it would not say.
 */
export async function ensureTopics(kafka: Kafka, topics: readonly TopicSpec[]): Promise<number | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0)
      await admin.createTopics({
        topics: missing.map(({ configEntries, ...t }) => ({ ...t, ...(configEntries ? { configEntries: [...configEntries] } : {}) })),
        waitForLeaders: true,
      });
    const described = await admin
      .describeConfigs({
        includeSynonyms: false,
        resources: topics.map((t) => ({ type: TOPIC_RESOURCE, name: t.topic, configNames: ['max.message.bytes'] })),
      })
      .catch(() => undefined);
    const limits = (described?.resources ?? []).flatMap((r) => r.configEntries.map((e) => Number(e.configValue))).filter((n) => Number.isFinite(n) && n > 0);
    return limits.length > 0 ? Math.min(...limits) : undefined;
  } finally {
    await admin.disconnect();
  }
}

/** Broker answers that mean "this record, or this batch, can never be taken", not "try again later". */
const REFUSED_FOR_GOOD = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/** The broker's error type when it refused records for good, looked for along the error's causes; undefined otherwise. */
export function brokerRefusal(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string' && REFUSED_FOR_GOOD.has(type)) return type;
  }
  return undefined;
}
