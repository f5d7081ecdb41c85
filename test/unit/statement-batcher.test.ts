import { expect } from 'chai';
import { StatementBatcher } from '../../src/adapters/postgres/statement-batcher.js';

interface Item {
  readonly stream: string;
  readonly name: string;
}

/** A batcher whose batches finish when the test says so; it records each batch it was given. */
function aRecordingBatcher(
  options: { maxBatch?: number; maxInFlight?: number; sizeOf?: (item: Item) => number; maxBatchBytes?: number; refuse?: (item: Item) => unknown } = {},
) {
  const batches: string[][] = [];
  const open: (() => void)[] = [];
  const batcher = new StatementBatcher<Item, string>({
    streamOf: (item) => item.stream,
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    ...(options.sizeOf === undefined ? {} : { sizeOf: options.sizeOf }),
    ...(options.maxBatchBytes === undefined ? {} : { maxBatchBytes: options.maxBatchBytes }),
    run: async (items) => {
      batches.push(items.map((item) => item.name));
      await new Promise<void>((resolve) => open.push(resolve));
      for (const item of items) {
        const refusal = options.refuse?.(item);
        if (refusal) throw refusal;
      }
      return items.map((item) => `done ${item.name}`);
    },
  });
  /** Lets every batch running now finish, and waits for what they start. */
  const finishRunning = async (): Promise<void> => {
    for (const resolve of open.splice(0)) resolve();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batcher, batches, finishRunning };
}

const item = (name: string): Item => ({ stream: name.replace(/\d+$/, ''), name });
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('StatementBatcher (group commit for concurrent callers)', () => {
  it('runs the callers of one turn in one batch and gives each its own result', async () => {
    const { batcher, batches, finishRunning } = aRecordingBatcher();
    const results = Promise.all(['a1', 'b1', 'c1'].map((name) => batcher.run(item(name))));
    await tick();
    await finishRunning();
    expect(await results).to.deep.equal(['done a1', 'done b1', 'done c1']);
    expect(batches).to.deep.equal([['a1', 'b1', 'c1']]);
  });

  it('takes one item of a stream per batch and never runs two of a stream at once, keeping their order', async () => {
    const { batcher, batches, finishRunning } = aRecordingBatcher({ maxInFlight: 2 });
    const results = Promise.all(['a1', 'a2', 'b1', 'a3', 'b2'].map((name) => batcher.run(item(name))));
    await tick();
    expect(batches).to.deep.equal([['a1', 'b1']]);
    await finishRunning();
    expect(batches).to.deep.equal([['a1', 'b1'], ['a2', 'b2']]);
    await finishRunning();
    expect(batches).to.deep.equal([['a1', 'b1'], ['a2', 'b2'], ['a3']]);
    await finishRunning();
    expect(await results).to.deep.equal(['done a1', 'done a2', 'done b1', 'done a3', 'done b2']);
  });

  it('collects what comes while batches run, up to the batch size, with at most the given batches in flight', async () => {
    const { batcher, batches, finishRunning } = aRecordingBatcher({ maxBatch: 3, maxInFlight: 2 });
    const first = batcher.run(item('a1'));
    await tick();
    const second = batcher.run(item('b1'));
    await tick();
    const later = ['c1', 'd1', 'e1', 'f1'].map((name) => batcher.run(item(name)));
    await tick();
    expect(batches).to.deep.equal([['a1'], ['b1']]);
    await finishRunning();
    expect(batches.slice(2)).to.deep.equal([['c1', 'd1', 'e1'], ['f1']]);
    await finishRunning();
    expect(await Promise.all([first, second, ...later])).to.have.length(6);
  });

  it('closes a batch before the item that would take it past the byte cap; an item larger than the cap goes alone', async () => {
    // The size is the number after the letter: a10 weighs 10.
    const sizeOf = (it: Item): number => Number(it.name.slice(1));
    const { batcher, batches, finishRunning } = aRecordingBatcher({ maxInFlight: 1, sizeOf, maxBatchBytes: 100 });
    const first = batcher.run(item('z1'));
    await tick();
    const later = ['a40', 'b50', 'c20', 'd500', 'e30', 'f70'].map((name) => batcher.run(item(name)));
    await tick();
    for (let round = 0; round < 5; round++) await finishRunning();
    expect(await Promise.all([first, ...later])).to.deep.equal(['done z1', 'done a40', 'done b50', 'done c20', 'done d500', 'done e30', 'done f70']);
    expect(batches).to.deep.equal([['z1'], ['a40', 'b50'], ['c20'], ['d500'], ['e30', 'f70']]);
  });

  it('runs the items of a refused batch one by one, so only the bad item fails', async () => {
    const refusal = Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' });
    const { batcher, batches, finishRunning } = aRecordingBatcher({ refuse: (it) => (it.name === 'b1' ? refusal : undefined) });
    const results = ['a1', 'b1', 'c1'].map((name) => batcher.run(item(name)).catch((error: unknown) => error));
    await tick();
    for (let round = 0; round < 4; round++) await finishRunning();
    expect(await Promise.all(results)).to.deep.equal(['done a1', refusal, 'done c1']);
    expect(batches).to.deep.equal([['a1', 'b1', 'c1'], ['a1'], ['b1'], ['c1']]);
  });

  it('fails every caller of a batch at once when the database is away, without trying each', async () => {
    const lost = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { batcher, batches, finishRunning } = aRecordingBatcher({ refuse: () => lost });
    const results = ['a1', 'b1'].map((name) => batcher.run(item(name)).catch((error: unknown) => error));
    await tick();
    await finishRunning();
    expect(await Promise.all(results)).to.deep.equal([lost, lost]);
    expect(batches).to.deep.equal([['a1', 'b1']]);
  });
});
