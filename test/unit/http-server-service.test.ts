import { expect } from 'chai';
import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { HttpServerService } from '../../src/bootstrap/http-server-service.js';
import { silentLogger } from '../support/logs.js';

/** A server whose /slow requests wait until the test answers them; every other path is answered at once. */
function aServer(drainMs: number): { service: HttpServerService; held: ServerResponse[] } {
  const held: ServerResponse[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url === '/slow') held.push(res);
    else res.end('ok');
  };
  return { service: new HttpServerService('test', handler, 0, silentLogger(), drainMs), held };
}

function get(port: number, path: string, agent: Agent): Promise<{ status: number; connection: string | undefined } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('HttpServerService stopping', () => {
  let agent: Agent;
  let raw: Socket | undefined;
  beforeEach(() => {
    agent = new Agent({ keepAlive: true });
  });
  afterEach(() => {
    agent.destroy();
    raw?.destroy();
  });

  it('answers the request in flight with Connection: close and closes idle keep-alive connections at once', async () => {
    const { service, held } = aServer(5000);
    await service.start();
    const idle = new Agent({ keepAlive: true });
    expect(await get(service.port, '/fast', idle)).to.deep.equal({ status: 200, connection: 'keep-alive' });
    const slow = get(service.port, '/slow', agent);
    await until(() => held.length === 1, 'the slow request to arrive');
    const stopped = service.stop(Date.now() + 10_000);
    expect(service.isDraining).to.equal(true);
    held[0]?.end('late');
    expect(await slow).to.deep.equal({ status: 200, connection: 'close' });
    const started = Date.now();
    await stopped;
    expect(Date.now() - started, 'no wait for the idle keep-alive connection').to.be.below(1000);
    expect(await get(service.port, '/fast', agent)).to.deep.equal({ error: 'ECONNREFUSED' });
    idle.destroy();
  });

  it('at the drain deadline closes a connection whose request was not read whole, and still answers the request being handled', async () => {
    const { service, held } = aServer(200);
    await service.start();
    raw = connect(service.port, '127.0.0.1');
    await once(raw, 'connect');
    raw.write('POST /orders HTTP/1.1\r\nHost: x\r\n'); // headers never finished
    const rawClosed = once(raw, 'close');
    const slow = get(service.port, '/slow', agent);
    await until(() => held.length === 1, 'the slow request to arrive');
    const started = Date.now();
    const stopped = service.stop(started + 4000);
    await rawClosed;
    expect(Date.now() - started, 'closed at the drain deadline').to.be.within(150, 1500);
    held[0]?.end('late');
    expect(await slow).to.deep.equal({ status: 200, connection: 'close' });
    await stopped;
  });

  it('closes the connections of requests still unanswered halfway from the drain deadline to the deadline', async () => {
    const { service, held } = aServer(100);
    await service.start();
    const slow = get(service.port, '/slow', agent);
    await until(() => held.length === 1, 'the slow request to arrive');
    const started = Date.now();
    await service.stop(started + 1100);
    expect(Date.now() - started).to.be.within(500, 1000);
    expect(await slow).to.deep.equal({ error: 'ECONNRESET' });
  });
});
