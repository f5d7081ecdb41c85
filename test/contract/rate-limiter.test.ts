import { expect } from 'chai';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.js';
import { PgRateLimiter } from '../../src/adapters/postgres/pg-rate-limiter.js';
import { NodePgDatabase } from '../../src/adapters/postgres/sql-database.js';
import { DependencyUnavailableError } from '../../src/application/errors.js';
import type { RateLimit, RateLimiter } from '../../src/application/ports/rate-limiter.js';
import { embeddedDatabase, serverDatabase, type TestDatabase } from '../support/databases.js';
import { silentLogger } from '../support/logs.js';

interface RateLimiterSubject {
  limiter(limit: RateLimit): RateLimiter;
  /** Lets `seconds` pass for every bucket (the store's clock, or the stored times moved back). */
  elapse(seconds: number): Promise<void>;
  close(): Promise<void>;
}

const inMemory = async (): Promise<RateLimiterSubject> => {
  let now = Date.parse('2026-11-24T12:00:00Z');
  const clock = { now: () => new Date(now) };
  return {
    limiter: (limit) => new InMemoryRateLimiter(limit, clock),
    elapse: async (seconds) => {
      now += seconds * 1000;
    },
    close: async () => undefined,
  };
};

const onDatabase = (open: () => Promise<TestDatabase>) => async (): Promise<RateLimiterSubject> => {
  const { database, close } = await open();
  return {
    limiter: (limit) => new PgRateLimiter(database, limit),
    elapse: async (seconds) => {
      await database.query('UPDATE rate_limit_buckets SET refilled_at = refilled_at - make_interval(secs => $1::float8)', [seconds]);
    },
    close,
  };
};

function rateLimiterContract(makeSubject: () => Promise<RateLimiterSubject>): void {
  let subject: RateLimiterSubject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(() => subject.close());

  const takeMany = async (limiter: RateLimiter, client: string, count: number) => {
    const decisions = [];
    for (let i = 0; i < count; i++) decisions.push(await limiter.take(client));
    return decisions;
  };

  it('lets a new client take a full burst, then refuses with the seconds until the next token', async () => {
    const limiter = subject.limiter({ perSecond: 0.1, burst: 5 });
    const decisions = await takeMany(limiter, 'key:a', 6);
    expect(decisions.slice(0, 5).every((d) => d.allowed)).to.equal(true);
    expect(decisions[5]).to.deep.equal({ allowed: false, retryAfterSeconds: 10 });
  });

  it('keeps every client in a bucket of its own', async () => {
    const limiter = subject.limiter({ perSecond: 0.1, burst: 1 });
    expect((await limiter.take('ip:192.0.2.1')).allowed).to.equal(true);
    expect((await limiter.take('ip:192.0.2.1')).allowed).to.equal(false);
    expect((await limiter.take('ip:192.0.2.2')).allowed).to.equal(true);
    expect((await limiter.take('key:0badc0de')).allowed).to.equal(true);
  });

  it('refills at the configured rate, and says so in the retry time', async () => {
    const limiter = subject.limiter({ perSecond: 0.1, burst: 2 });
    await takeMany(limiter, 'c', 2);
    await subject.elapse(5);
    expect(await limiter.take('c')).to.deep.equal({ allowed: false, retryAfterSeconds: 5 });
    await subject.elapse(5);
    expect((await limiter.take('c')).allowed).to.equal(true);
    expect((await limiter.take('c')).allowed).to.equal(false);
  });

  it('refills no further than the burst, however long the client was away', async () => {
    const limiter = subject.limiter({ perSecond: 0.1, burst: 3 });
    await takeMany(limiter, 'c', 3);
    await subject.elapse(3600);
    const decisions = await takeMany(limiter, 'c', 4);
    expect(decisions.map((d) => d.allowed)).to.deep.equal([true, true, true, false]);
  });

  it('lets exactly the burst through when a client sends many requests at once', async () => {
    const limiter = subject.limiter({ perSecond: 0.01, burst: 10 });
    const decisions = await Promise.all(Array.from({ length: 40 }, () => limiter.take('c')));
    expect(decisions.filter((d) => d.allowed)).to.have.length(10);
  });

  it('keeps each client to its own burst when many clients send many requests at once', async () => {
    const limiter = subject.limiter({ perSecond: 0.01, burst: 7 });
    const clients = Array.from({ length: 12 }, (_, i) => `ip:192.0.2.${i}`);
    const decisions = await Promise.all(Array.from({ length: 20 }, () => clients.map((client) => limiter.take(client).then((d) => ({ client, ...d })))).flat());
    for (const client of clients) {
      const own = decisions.filter((d) => d.client === client);
      expect(own.filter((d) => d.allowed), client).to.have.length(7);
      expect(own.filter((d) => !d.allowed).every((d) => !d.allowed && d.retryAfterSeconds >= 1)).to.equal(true);
    }
  });

  it('prunes the buckets that are full again, and only those', async () => {
    const limiter = subject.limiter({ perSecond: 1, burst: 2 });
    await limiter.take('away');
    await subject.elapse(10);
    await takeMany(limiter, 'busy', 2);
    expect(await limiter.prune()).to.equal(1);
    expect(await limiter.take('busy')).to.deep.include({ allowed: false });
    expect(await takeMany(limiter, 'away', 2)).to.deep.equal([{ allowed: true }, { allowed: true }]);
  });
}

for (const [name, makeSubject] of [
  ['InMemoryRateLimiter', inMemory],
  ['PgRateLimiter on a PostgreSQL server', onDatabase(serverDatabase)],
  ['PgRateLimiter on embedded PGlite', onDatabase(embeddedDatabase)],
] as const) {
  describe(`RateLimiter contract: ${name}`, () => rateLimiterContract(makeSubject));
}

for (const [name, open] of [
  ['on a PostgreSQL server', serverDatabase],
  ['on embedded PGlite', embeddedDatabase],
] as const)
  describe(`PgRateLimiter of several api processes ${name}`, () => {
    it('shares each bucket between them: exactly the burst in all, however the requests fall into their batches', async () => {
      const { database, close } = await open();
      try {
        const replicas = Array.from({ length: 3 }, () => new PgRateLimiter(database, { perSecond: 0.01, burst: 9 }));
        const clients = ['key:a', 'key:b', 'ip:198.51.100.7'];
        const decisions = await Promise.all(
          Array.from({ length: 15 }, (_, i) => clients.map((client, j) => (replicas[(i + j) % 3] as PgRateLimiter).take(client).then((d) => ({ client, allowed: d.allowed })))).flat(),
        );
        for (const client of clients) expect(decisions.filter((d) => d.client === client && d.allowed), client).to.have.length(9);
      } finally {
        await close();
      }
    });
  });

describe('PgRateLimiter when the database is away', () => {
  it('answers DependencyUnavailableError (a 503, as storing the order would), not an unexpected error', async () => {
    const database = new NodePgDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/ordermail', max: 1, logger: silentLogger() });
    try {
      const failure = await new PgRateLimiter(database, { perSecond: 1, burst: 1 }).take('c').then(() => undefined, (error: unknown) => error);
      expect(failure).to.be.instanceOf(DependencyUnavailableError);
    } finally {
      await database.end();
    }
  });
});
