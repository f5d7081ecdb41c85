import { expect } from 'chai';
import { handleInKeyOrder, type BatchMessage } from '../../src/adapters/kafka/key-ordered-batch.js';

interface Message extends BatchMessage {
  readonly name: string;
}

/** A batch whose messages are named `<key><n>` (`a1`, `b1`, `a2`...; `-1` has no key), at offsets 0, 1, 2... */
function aBatch(...names: string[]): Message[] {
  return names.map((name, offset) => ({ name, offset: String(offset), key: name.startsWith('-') ? null : Buffer.from(name.replace(/\d+$/, '')) }));
}

/** Records what happens, and lets each handling finish only when the test says so. */
class Recorder {
  readonly log: string[] = [];
  private readonly pending = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();

  handle = (message: Message): Promise<void> => {
    this.log.push(`start ${message.name}`);
    return new Promise<void>((resolve, reject) => this.pending.set(message.name, { resolve, reject })).then(() => void this.log.push(`end ${message.name}`));
  };

  resolveOffset = (offset: string): void => void this.log.push(`resolve ${offset}`);

  heartbeat = async (): Promise<void> => undefined;

  get running(): string[] {
    return [...this.pending.keys()];
  }

  async finish(name: string): Promise<void> {
    const handling = this.pending.get(name);
    if (!handling) throw new Error(`${name} is not being handled; running: ${this.running.join(', ')}`);
    this.pending.delete(name);
    handling.resolve();
    await settle();
  }

  async fail(name: string, error: Error): Promise<void> {
    const handling = this.pending.get(name);
    if (!handling) throw new Error(`${name} is not being handled`);
    this.pending.delete(name);
    handling.reject(error);
    await settle();
  }
}

/** Lets every promise that can move on do so. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('handleInKeyOrder: the events of one order in their order, orders in parallel', () => {
  it('handles different keys of a chunk at once, and one key one message at a time, in offset order', async () => {
    const recorder = new Recorder();
    const done = handleInKeyOrder({ messages: aBatch('a1', 'b1', 'a2', 'c1', 'a3'), chunkSize: 8, ...recorder, goOn: () => true });
    await settle();
    expect(recorder.running).to.deep.equal(['a1', 'b1', 'c1']);
    await recorder.finish('a1');
    expect(recorder.running).to.deep.equal(['b1', 'c1', 'a2']);
    await recorder.finish('a2');
    await recorder.finish('a3');
    await recorder.finish('b1');
    expect(recorder.log).to.not.include('resolve 4');
    await recorder.finish('c1');
    await done;
    expect(recorder.log.filter((line) => line.includes(' a'))).to.deep.equal(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
    expect(recorder.log.at(-1)).to.equal('resolve 4');
  });

  it('resolves a chunk only once all its messages are handled, and starts the next chunk only then', async () => {
    const recorder = new Recorder();
    const done = handleInKeyOrder({ messages: aBatch('a1', 'b1', 'a2', 'b2'), chunkSize: 2, ...recorder, goOn: () => true });
    await settle();
    expect(recorder.running).to.deep.equal(['a1', 'b1']);
    await recorder.finish('b1');
    expect(recorder.running).to.deep.equal(['a1']);
    await recorder.finish('a1');
    expect(recorder.running).to.deep.equal(['a2', 'b2']);
    await recorder.finish('a2');
    await recorder.finish('b2');
    await done;
    expect(recorder.log.filter((line) => line.startsWith('resolve'))).to.deep.equal(['resolve 1', 'resolve 3']);
    expect(recorder.log.indexOf('resolve 1')).to.be.greaterThan(recorder.log.indexOf('end a1'));
  });

  it('on a failure, handles no later message of that key, lets the other keys finish, resolves nothing of the chunk, and throws it', async () => {
    const recorder = new Recorder();
    const away = new Error('the database is away');
    const done = handleInKeyOrder({ messages: aBatch('a1', 'b1', 'a2', 'b2'), chunkSize: 8, ...recorder, goOn: () => true });
    const outcome = done.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await settle();
    await recorder.fail('a1', away);
    expect(recorder.running).to.deep.equal(['b1']);
    await recorder.finish('b1');
    await recorder.finish('b2');
    expect(await outcome).to.equal(away);
    expect(recorder.log).to.not.include('start a2');
    expect(recorder.log.filter((line) => line.startsWith('resolve'))).to.deep.equal([]);
  });

  it('handles messages without a key independently', async () => {
    const recorder = new Recorder();
    const done = handleInKeyOrder({ messages: aBatch('-1', '-2', 'a1'), chunkSize: 8, ...recorder, goOn: () => true });
    await settle();
    expect(recorder.running).to.deep.equal(['-1', '-2', 'a1']);
    await recorder.finish('-2');
    await recorder.finish('a1');
    expect(recorder.log).to.not.include('resolve 2');
    await recorder.finish('-1');
    await done;
    expect(recorder.log.at(-1)).to.equal('resolve 2');
  });

  it('tells keys apart by their bytes', async () => {
    const recorder = new Recorder();
    const messages: Message[] = [
      { name: 'x1', offset: '0', key: Buffer.from([0xff]) },
      { name: 'y1', offset: '1', key: Buffer.from([0xfe]) },
    ];
    const done = handleInKeyOrder({ messages, chunkSize: 8, ...recorder, goOn: () => true });
    await settle();
    expect(recorder.running).to.deep.equal(['x1', 'y1']);
    await recorder.finish('x1');
    await recorder.finish('y1');
    await done;
  });

  it('keeps beating while a chunk waits, not only after it', async () => {
    const recorder = new Recorder();
    let beats = 0;
    let twice!: () => void;
    const beatenTwice = new Promise<void>((resolve) => (twice = resolve));
    const done = handleInKeyOrder({
      messages: aBatch('a1'),
      chunkSize: 8,
      handle: recorder.handle,
      resolveOffset: recorder.resolveOffset,
      heartbeat: async () => {
        beats += 1;
        if (beats === 2) twice();
      },
      heartbeatEveryMs: 5,
      goOn: () => true,
    });
    await beatenTwice; // a1 is still being handled
    expect(recorder.running).to.deep.equal(['a1']);
    await recorder.finish('a1');
    await done;
    const afterChunk = beats;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(beats, 'no beat once the batch is done').to.equal(afterChunk);
  });

  it('stops between chunks once told to, leaving the rest unresolved for redelivery', async () => {
    const recorder = new Recorder();
    let goOn = true;
    const done = handleInKeyOrder({ messages: aBatch('a1', 'b1', 'c1'), chunkSize: 1, ...recorder, goOn: () => goOn });
    await settle();
    goOn = false;
    await recorder.finish('a1');
    await done;
    expect(recorder.log).to.deep.equal(['start a1', 'end a1', 'resolve 0']);
  });
});
