import { isOutage } from './pg-errors.js';

export interface StatementBatcherOptions<I, R> {
  /**
   * Runs the items in one statement or transaction, durable when it resolves; one result per item, in their
   * order. Throws when the database refused or could not run it: then nothing of it was applied.
   */
  readonly run: (items: readonly I[]) => Promise<readonly R[]>;
  /**
   * The ordering stream of an item: items of one stream run one after the other, in the order they came
   * (never two in one batch, nor in two batches at once). None: any items may share a batch.
   */
  readonly streamOf?: (item: I) => string;
  /** Items in one batch at most. */
  readonly maxBatch?: number;
  /**
   * The size of what an item puts into the statement's parameters (its large texts: events, item lists). With it,
   * a batch takes items while their sum stays within maxBatchBytes; an item larger than that goes alone. The callers
   * count a text's length (UTF-16 units, no scan): a text of three-byte characters weighs a third of its bytes, so
   * a batch of such texts may carry up to three times the cap.
   */
  readonly sizeOf?: (item: I) => number;
  /** The parameter bytes of one batch at most, as sizeOf counts them (default 1 MiB). */
  readonly maxBatchBytes?: number;
  /** Batches running at once at most. */
  readonly maxInFlight?: number;
}

interface Waiting<I, R> {
  readonly item: I;
  readonly stream: string | undefined;
  readonly bytes: number;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for concurrent callers: each hands in an item and waits; what came while the database was busy
 * goes in the next batch, one statement or transaction for all (a caller alone goes at once, alone). Each
 * caller's promise settles only once its batch is durable, so nothing is acknowledged earlier than one by one.
 * A batch refused (a constraint, a deadlock, a value the database cannot store) is run again an item at a time,
 * so one bad item fails only its own caller; a database that is away fails every caller of the batch (isOutage),
 * each to its own retry path.
 */
export class StatementBatcher<I, R> {
  private readonly waiting: Waiting<I, R>[] = [];
  private readonly busyStreams = new Set<string>();
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly maxBatchBytes: number;
  private inFlight = 0;
  private pumpScheduled = false;

  constructor(private readonly options: StatementBatcherOptions<I, R>) {
    this.maxBatch = options.maxBatch ?? 64;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
  }

  /** Resolves with the item's result once its batch is durable; rejects with what refused it. */
  run(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, stream: this.options.streamOf?.(item), bytes: this.options.sizeOf?.(item) ?? 0, resolve, reject });
      // Callers that arrive in the same turn of the event loop share the first batch.
      if (this.pumpScheduled) return;
      this.pumpScheduled = true;
      queueMicrotask(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight) {
      const batch = this.nextBatch();
      if (batch.length === 0) return;
      this.inFlight += 1;
      for (const { stream } of batch) if (stream !== undefined) this.busyStreams.add(stream);
      void this.execute(batch).finally(() => {
        this.inFlight -= 1;
        for (const { stream } of batch) if (stream !== undefined) this.busyStreams.delete(stream);
        this.pump();
      });
    }
  }

  /**
   * The first items in arrival order whose stream is free: an item waits while an earlier one of its stream does.
   * The batch closes at maxBatch items, or at the first item that would take it past maxBatchBytes (that item
   * heads the next batch, so none is passed over for ever).
   */
  private nextBatch(): Waiting<I, R>[] {
    const batch: Waiting<I, R>[] = [];
    const passed = new Set<string>();
    let bytes = 0;
    for (let index = 0; index < this.waiting.length && batch.length < this.maxBatch; ) {
      const entry = this.waiting[index] as Waiting<I, R>;
      if (entry.stream !== undefined && (this.busyStreams.has(entry.stream) || passed.has(entry.stream))) {
        passed.add(entry.stream);
        index += 1;
        continue;
      }
      if (batch.length > 0 && bytes + entry.bytes > this.maxBatchBytes) break;
      bytes += entry.bytes;
      if (entry.stream !== undefined) passed.add(entry.stream);
      batch.push(entry);
      this.waiting.splice(index, 1);
    }
    return batch;
  }

  private async execute(batch: readonly Waiting<I, R>[]): Promise<void> {
    let results: readonly R[];
    try {
      results = await this.options.run(batch.map((entry) => entry.item));
    } catch (error) {
      if (batch.length === 1 || isOutage(error)) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      return this.oneByOne(batch);
    }
    if (results.length !== batch.length) {
      const error = new Error(`statement batch: ${results.length} results for ${batch.length} items`);
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, index) => entry.resolve(results[index] as R));
  }

  private async oneByOne(batch: readonly Waiting<I, R>[]): Promise<void> {
    // One by one, in arrival order: each item is applied, or refused on its own.
    for (const entry of batch) {
      try {
        const [result] = await this.options.run([entry.item]);
        entry.resolve(result as R);
      } catch (error) {
        entry.reject(error);
      }
    }
  }
}
