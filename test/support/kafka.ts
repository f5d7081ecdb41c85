import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/kafka/kafka.sh', import.meta.url));

let brokers: Promise<string> | undefined;

/**
 * A reachable Kafka ("host:port,…"), found in this order: KAFKA_BROKERS; testcontainers when a Docker
 * engine runs; the project's launcher scripts/kafka/kafka.sh (Java 17 + Maven). Otherwise the run
 * fails, saying what is missing.
 */
export function ensureKafka(): Promise<string> {
  brokers ??= resolve();
  return brokers;
}

async function resolve(): Promise<string> {
  const fromEnv = process.env.KAFKA_BROKERS;
  if (fromEnv) {
    if (await answers(fromEnv, 10_000)) return fromEnv;
    throw new Error(`Kafka at KAFKA_BROKERS=${fromEnv} is not reachable. Start it (scripts/kafka/kafka.sh start), or unset KAFKA_BROKERS to let the tests start one.`);
  }
  const container = await fromTestcontainers();
  if (container) return container;
  try {
    return await kafkaScript('start');
  } catch (error) {
    throw new Error(
      'Kafka is not reachable: set KAFKA_BROKERS, or install Java 17 and Maven (apt-get install openjdk-17-jre-headless maven) ' +
        `so scripts/kafka/kafka.sh can start one, or run a Docker engine for testcontainers. The launcher said: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Runs scripts/kafka/kafka.sh (start, stop, status, reset) for a port; resolves with the brokers it prints. */
export async function kafkaScript(command: 'start' | 'stop' | 'status' | 'reset', port = process.env.ORDERMAIL_TEST_KAFKA_PORT ?? '9092'): Promise<string> {
  const { stdout } = await run('bash', [SCRIPT, command], { env: { ...process.env, KAFKA_PORT: port }, timeout: 240_000 });
  return /KAFKA_BROKERS=(\S+)/.exec(stdout)?.[1] ?? '';
}

export async function answers(list: string, patienceMs = 0): Promise<boolean> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const admin = new Kafka({ brokers: list.split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000 }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return true;
    } catch {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

async function fromTestcontainers(): Promise<string | undefined> {
  const { getContainerRuntimeClient, GenericContainer, Wait } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const hostPort = 39092;
  const container = await new GenericContainer('apache/kafka:3.9.1')
    .withExposedPorts({ container: 9092, host: hostPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://localhost:${hostPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  return `${container.getHost()}:${hostPort}`;
}

export interface TopicMessage {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  readonly partition: number;
  readonly offset: string;
}

/** Every message now on `topic` (up to its current end offsets), read with a throwaway consumer group. */
export async function readTopic(brokers: string, topic: string, timeoutMs = 20_000): Promise<TopicMessage[]> {
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  const messages: TopicMessage[] = [];
  if (remaining.size === 0) return messages;
  const consumer = kafka.consumer({ groupId: `reader-${Math.random().toString(36).slice(2)}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${messages.length} messages of ${topic}; partitions not finished: ${[...remaining.keys()].join(',')}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          messages.push({
            key: message.key?.toString() ?? null,
            value: message.value,
            headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
            partition,
            offset: message.offset,
          });
          if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
