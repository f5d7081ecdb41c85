/** What the order of handling needs to know of a message of one partition's batch. */
export interface BatchMessage {
  readonly offset: string;
  /** The record key (an orderId): messages with the same key are handled one after the other. */
  readonly key: Buffer | null;
}

export interface KeyOrderedBatch<M extends BatchMessage> {
  /** The batch, in offset order. */
  readonly messages: readonly M[];
  /** How many messages are taken at a time; keys of a chunk run in parallel. */
  readonly chunkSize: number;
  handle(message: M): Promise<void>;
  /** Every message at or before this offset is handled: it may be committed. */
  resolveOffset(offset: string): void;
  /** Called after each chunk, and every `heartbeatEveryMs` while one runs: a long chunk or batch keeps the consumer's group membership alive. */
  heartbeat(): Promise<void>;
  /** While a chunk runs (its sends may wait on a shared SMTP pool or a rate limit for longer than the session timeout). */
  readonly heartbeatEveryMs?: number;
  /** False once the rest of the batch is to be left (a rebalance, a stop): it is redelivered. */
  goOn(): boolean;
}

/**
 * Handles a partition's batch a chunk at a time: within a chunk, different keys run in parallel and the
 * messages of one key run one after the other in offset order, since they are events of one order whose
 * order matters (created before shipped before delivered). A chunk's last offset is resolved only once
 * every message of the chunk was handled, so a crash redelivers and never skips.
 * @throws the first failure of a chunk, once every key of it has stopped: that key's later messages are
 *   not handled, and nothing of the chunk is resolved (it is handled again in place).
 */
export async function handleInKeyOrder<M extends BatchMessage>(batch: KeyOrderedBatch<M>): Promise<void> {
  for (let start = 0; start < batch.messages.length; start += batch.chunkSize) {
    if (!batch.goOn()) return;
    const chunk = batch.messages.slice(start, start + batch.chunkSize);
    // A failed beat while the chunk runs is left to the one after it, which is awaited and so reported.
    const beating = batch.heartbeatEveryMs ? setInterval(() => void batch.heartbeat().catch(() => undefined), batch.heartbeatEveryMs) : undefined;
    const outcomes = await Promise.allSettled(byKey(chunk).map(async (sameKey) => {
      for (const message of sameKey) await batch.handle(message);
    })).finally(() => clearInterval(beating));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    batch.resolveOffset((chunk.at(-1) as M).offset);
    await batch.heartbeat();
  }
}

/** The chunk's messages grouped by key, each group in offset order; a message without a key is a group of its own. */
function byKey<M extends BatchMessage>(chunk: readonly M[]): M[][] {
  const groups: M[][] = [];
  const groupOf = new Map<string, M[]>();
  for (const message of chunk) {
    if (message.key === null) {
      groups.push([message]);
      continue;
    }
    // Bytes, not text: two keys that differ only in invalid UTF-8 are still two keys.
    const key = message.key.toString('hex');
    let group = groupOf.get(key);
    if (!group) {
      group = [];
      groupOf.set(key, group);
      groups.push(group);
    }
    group.push(message);
  }
  return groups;
}
