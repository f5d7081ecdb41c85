import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpLocalReceiver } from '../../src/adapters/webhook/http-local-receiver.js';

interface Received {
  method: string;
  path: string;
  contentType: string;
  remoteAddress: string;
  body: unknown;
}

describe('HttpLocalReceiver (against a real HTTP server)', () => {
  let server: Server;
  let port: number;
  let received: Received[];

  async function listen(answer: (request: IncomingMessage, response: ServerResponse) => void): Promise<void> {
    received = [];
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          method: request.method ?? '',
          path: request.url ?? '',
          contentType: request.headers['content-type'] ?? '',
          remoteAddress: request.socket.remoteAddress ?? '',
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
        });
        answer(request, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  }
  async function stop(): Promise<void> {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  afterEach(stop);

  it('posts the endpoint id and secret as JSON to 127.0.0.1:<port>/secrets, and says the receiver took them', async () => {
    await listen((_request, response) => response.writeHead(204).end());
    const receiver = new HttpLocalReceiver({ port });
    expect(await receiver.handOver('ep_0123456789abcdef01234567', 'whsec_c2VjcmV0')).to.equal('taken');
    expect(received).to.deep.equal([
      { method: 'POST', path: '/secrets', contentType: 'application/json', remoteAddress: '127.0.0.1', body: { endpointId: 'ep_0123456789abcdef01234567', secret: 'whsec_c2VjcmV0' } },
    ]);
  });

  it('names http://127.0.0.1:<port>/webhooks, where the receiver listens, as the URL deliveries go to', () => {
    expect(new HttpLocalReceiver({ port: 4400 }).url).to.equal('http://127.0.0.1:4400/webhooks');
  });

  it('says the receiver refused the secret when it answers other than 2xx', async () => {
    await listen((_request, response) => response.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"loopback only"}'));
    expect(await new HttpLocalReceiver({ port }).handOver('ep_0123456789abcdef01234567', 'whsec_c2VjcmV0')).to.equal('refused');
  });

  it('says the receiver is unreachable when nothing listens on the port', async () => {
    await listen((_request, response) => response.end());
    await stop();
    expect(await new HttpLocalReceiver({ port }).handOver('ep_0123456789abcdef01234567', 'whsec_c2VjcmV0')).to.equal('unreachable');
  });

  it('gives up after its timeout when the receiver does not answer', async () => {
    await listen(() => undefined);
    const started = Date.now();
    expect(await new HttpLocalReceiver({ port, timeoutMs: 200 }).handOver('ep_0123456789abcdef01234567', 'whsec_c2VjcmV0')).to.equal('unreachable');
    expect(Date.now() - started).to.be.below(2000);
    expect(received).to.have.length(1);
  });
});
