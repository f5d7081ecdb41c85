import { expect } from 'chai';
import { RelayService } from '../../src/application/relay-service.js';
import { capturingLogger } from '../support/logs.js';

/** A relay whose loop runs until stopped, and whose batches publish the next of `batches` (a count, or an error). */
function scriptedRelay(batches: (number | Error | 'never')[], loop: 'stops' | 'hangs' = 'stops') {
  const relay = {
    batches: 0,
    run: (signal: AbortSignal): Promise<void> =>
      new Promise((resolve) => {
        if (loop === 'stops') signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    execute: async (): Promise<number> => {
      relay.batches += 1;
      const next = batches.shift() ?? 0;
      if (next === 'never') return new Promise<number>(() => undefined);
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return relay;
}

describe('RelayService', () => {
  it('flushes after stopping the loop, batch after batch, until a batch is not full, and says how many', async () => {
    const relay = scriptedRelay([10, 10, 4]);
    const { logger, lines } = capturingLogger();
    const service = new RelayService(relay, 10, logger);
    await service.start();
    await service.stop(Date.now() + 5000);
    expect(relay.batches).to.equal(3);
    expect(lines.find((line) => line.msg === 'last flush published the orders accepted while stopping')).to.deep.include({ count: 24 });
  });

  it('says nothing when the last flush finds nothing', async () => {
    const relay = scriptedRelay([0]);
    const { logger, lines } = capturingLogger();
    const service = new RelayService(relay, 10, logger);
    await service.start();
    await service.stop(Date.now() + 5000);
    expect(relay.batches).to.equal(1);
    expect(lines).to.deep.equal([]);
  });

  it('stops flushing at the deadline and leaves the rest in the outbox', async () => {
    const relay = scriptedRelay([10, 'never']);
    const { logger, lines } = capturingLogger();
    const service = new RelayService(relay, 10, logger);
    await service.start();
    await service.stop(Date.now() + 100);
    expect(lines.find((line) => line.msg === 'last flush stopped at the shutdown deadline; the rest waits in the outbox for the next relay')).to.deep.include({ level: 'warn', flushed: 10 });
  });

  it('does not flush when the loop itself does not stop by the deadline', async () => {
    const relay = scriptedRelay([10], 'hangs');
    const { logger, lines } = capturingLogger();
    const service = new RelayService(relay, 10, logger);
    await service.start();
    await service.stop(Date.now() + 50);
    expect(relay.batches).to.equal(0);
    expect(lines.map((line) => line.msg)).to.deep.equal(['the relay loop did not stop by the shutdown deadline; unpublished events wait in the outbox for the next relay']);
  });

  it('logs a failed flush and resolves: the events wait in the outbox', async () => {
    const relay = scriptedRelay([new Error('broker down')]);
    const { logger, lines } = capturingLogger();
    const service = new RelayService(relay, 10, logger);
    await service.start();
    await service.stop(Date.now() + 5000);
    expect(lines.find((line) => line.msg === 'last flush failed; the events wait in the outbox for the next relay')).to.deep.include({ level: 'warn', error: 'broker down' });
  });
});
