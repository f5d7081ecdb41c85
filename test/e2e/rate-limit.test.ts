import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { ensureKafka } from '../support/kafka.js';
import { createTestDatabase } from '../support/postgres.js';
import { startRole, type RunningProcess } from '../support/processes.js';

const KEY = randomBytes(32).toString('base64');
const BURST = 10;
const PER_SECOND = 1;

describe('Two api processes sharing one rate limit (PostgreSQL)', function () {
  this.timeout(120_000);
  let database: { url: string; drop: () => Promise<void> };
  const apis: RunningProcess[] = [];

  before(async () => {
    database = await createTestDatabase();
  });

  after(async () => {
    await Promise.all(apis.map((api) => api.stop('SIGKILL')));
    await database.drop();
  });

  it(`accepts about one burst (${BURST}) in all from one key spread over both, and answers the rest 429 with Retry-After`, async () => {
    const brokers = await ensureKafka();
    const env = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: `rate-limit-${randomUUID().slice(0, 8)}`,
      RELAY_ENABLED: 'false',
      PORT: '0',
      API_KEYS: `${randomBytes(32).toString('base64')},${KEY}`,
      RATE_LIMIT_ORDERS_PER_SECOND: String(PER_SECOND),
      RATE_LIMIT_BURST: String(BURST),
    };
    apis.push(startRole('api', env), startRole('api', env));
    const bases = await Promise.all(
      apis.map(async (api) => `http://127.0.0.1:${String((await api.waitForLine((l) => l.msg === 'http server listening', 'the api to listen', 60_000)).port)}`),
    );

    const post = (base: string, n: number, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }): Promise<Response> =>
      fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ orderId: `rl-${n}`, itemId: ['sku-1'] }) });

    expect((await post(bases[0] as string, -1, {})).status).to.equal(401);
    const started = performance.now();
    const answers: { api: number; status: number; retryAfter: string | null; code?: string }[] = [];
    for (let n = 0; n < 30; n++) {
      const api = n % 2;
      const response = await post(bases[api] as string, n);
      const body = (await response.json()) as { error?: { code: string } };
      answers.push({ api, status: response.status, retryAfter: response.headers.get('retry-after'), ...(body.error ? { code: body.error.code } : {}) });
    }
    const elapsedSeconds = (performance.now() - started) / 1000;

    const accepted = answers.filter((a) => a.status === 202);
    const limited = answers.filter((a) => a.status === 429);
    expect(accepted.length + limited.length, JSON.stringify(answers)).to.equal(30);
    // Each api alone would have let a whole burst through; together they spent one, plus the refill while sending.
    expect(accepted.length).to.be.at.least(BURST).and.at.most(BURST + Math.ceil(elapsedSeconds * PER_SECOND));
    expect(new Set(accepted.map((a) => a.api))).to.deep.equal(new Set([0, 1]));
    expect(new Set(limited.map((a) => a.api))).to.deep.equal(new Set([0, 1]));
    for (const answer of limited) {
      expect(answer.code).to.equal('RATE_LIMITED');
      expect(Number(answer.retryAfter)).to.be.within(1, Math.ceil(1 / PER_SECOND));
    }
    for (const api of apis) {
      expect(JSON.stringify(api.lines)).to.not.contain(KEY);
      expect(api.lines.some((l) => l.level === 'warn' && String(l.msg).includes('API_KEYS'))).to.equal(false);
    }
  });
});
