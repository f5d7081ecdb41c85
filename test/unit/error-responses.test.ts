import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { DataRejectedError } from '../../src/application/errors.js';
import { errorResponses } from '../../src/adapters/http/error-responses.js';

async function answerTo(failure: Error): Promise<{ status: number; body: { error: Record<string, unknown> } }> {
  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.state.correlationId = 'corr-42';
    await next();
  });
  app.use(errorResponses());
  app.use(() => {
    throw failure;
  });
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { status: response.status, body: (await response.json()) as { error: Record<string, unknown> } };
  } finally {
    server.close();
  }
}

describe('Error responses', () => {
  it('answers data the database refused after our validation as our bug: the generic 500 with the correlation id, no SQLSTATE', async () => {
    const { status, body } = await answerTo(new DataRejectedError('postgres', 'SQLSTATE 23505'));
    expect(status).to.equal(500);
    expect(body.error).to.deep.include({ code: 'INTERNAL', correlationId: 'corr-42' });
    expect(JSON.stringify(body)).to.not.contain('SQLSTATE');
  });
});
