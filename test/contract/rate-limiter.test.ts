import { expect } from 'chai';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.js';
import { PgRateLimiter } from '../../src/adapters/postgres/pg-rate-limiter.js';
import { NodePgDatabase, type QueryOptions, type SqlDatabase } from '../../src/adapters/postgres/sql-database.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { DependencyUnavailableError } from '../../src/application/errors.js';
import type { RateDecision, RateLimit, RateLimiter } from '../../src/application/ports/rate-limiter.js';
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
  // The leases' clock: it moves only when the test lets time pass, as the buckets' does.
  let now = Date.parse('2026-11-24T12:00:00Z');
  const clock = { now: () => new Date(now) };
  return {
    limiter: (limit) => new PgRateLimiter(database, limit, clock),
    elapse: async (seconds) => {
      now += seconds * 1000;
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

  it('grants a caller sending one request after another its burst (plus the refill meanwhile), then refuses with Retry-After', async () => {
    const limit = { perSecond: 100, burst: 200 };
    const limiter = subject.limiter(limit);
    const started = performance.now();
    let allowed = 0;
    let refusal: RateDecision | undefined;
    while (!refusal && allowed < 10 * limit.burst) {
      const decision = await limiter.take('key:a');
      if (decision.allowed) allowed += 1;
      else refusal = decision;
    }
    const elapsedSeconds = (performance.now() - started) / 1000;
    expect(allowed).to.be.at.least(limit.burst).and.at.most(limit.burst + Math.ceil(elapsedSeconds * limit.perSecond));
    expect(refusal).to.deep.equal({ allowed: false, retryAfterSeconds: 1 });
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
        const replicas = Array.from({ length: 3 }, () => new PgRateLimiter(database, { perSecond: 0.01, burst: 9 }, new SystemClock()));
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

/** `database` counting the statements sent to it; while held, they wait before they are sent. */
function aCountingDatabase(database: SqlDatabase) {
  let statements = 0;
  let held: Promise<void> | undefined;
  let release = (): void => undefined;
  const counting: SqlDatabase = {
    query: async <R extends object>(text: string, params?: readonly unknown[], options?: QueryOptions) => {
      statements += 1;
      await held;
      return database.query<R>(text, params, options);
    },
    connect: () => database.connect(),
    listen: (channel, onNotify, onLost) => database.listen(channel, onNotify, onLost),
    stats: () => database.stats(),
    end: () => database.end(),
  };
  return {
    database: counting,
    statements: () => statements,
    hold: () => {
      held = new Promise((resolve) => (release = resolve));
    },
    release: () => {
      held = undefined;
      release();
    },
  };
}

/** A clock for the leases that moves only when the test says. */
function aTestClock() {
  let now = Date.parse('2026-11-24T12:00:00Z');
  return {
    clock: { now: () => new Date(now) },
    elapse: (ms: number) => {
      now += ms;
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

for (const [name, open] of [
  ['on a PostgreSQL server', serverDatabase],
  ['on embedded PGlite', embeddedDatabase],
] as const)
  describe(`PgRateLimiter leases ${name}`, () => {
    let test: TestDatabase;
    beforeEach(async () => {
      test = await open();
    });
    afterEach(() => test.close());

    it('answers a caller whose bucket is full from leases: far fewer statements than requests', async () => {
      const counting = aCountingDatabase(test.database);
      const limiter = new PgRateLimiter(counting.database, { perSecond: 1000, burst: 2000 }, aTestClock().clock);
      for (let i = 0; i < 300; i++) expect(await limiter.take('key:a')).to.deep.equal({ allowed: true });
      expect(counting.statements()).to.be.at.most(15);
    });

    it('never grants one caller more than the burst plus the refill across two api processes, and refuses the rest with Retry-After', async () => {
      const limit = { perSecond: 100, burst: 200 };
      const maxLease = limit.perSecond / 10;
      const apis = [new PgRateLimiter(test.database, limit, aTestClock().clock), new PgRateLimiter(test.database, limit, aTestClock().clock)];
      const started = performance.now();
      const decisions: RateDecision[] = [];
      for (let round = 0; round < 40; round++) decisions.push(...(await Promise.all(Array.from({ length: 30 }, (_, i) => (apis[i % 2] as PgRateLimiter).take('key:a')))));
      const elapsedSeconds = (performance.now() - started) / 1000;
      const allowed = decisions.filter((d) => d.allowed).length;
      // Unused at the end: at most one lease per process.
      expect(allowed).to.be.at.least(limit.burst - 2 * maxLease).and.at.most(limit.burst + Math.ceil(elapsedSeconds * limit.perSecond));
      const refused = decisions.filter((d) => !d.allowed);
      expect(refused.length).to.be.above(0);
      expect(refused.every((d) => !d.allowed && d.retryAfterSeconds === 1)).to.equal(true);
    });

    it('takes exactly one token per request once the bucket is below half the burst', async () => {
      const counting = aCountingDatabase(test.database);
      const limiter = new PgRateLimiter(counting.database, { perSecond: 10, burst: 40 }, aTestClock().clock);
      const statementsPerGrant: number[] = [];
      for (;;) {
        const before = counting.statements();
        if (!(await limiter.take('key:a')).allowed) break;
        statementsPerGrant.push(counting.statements() - before);
      }
      expect(statementsPerGrant.length).to.be.at.least(40);
      expect(statementsPerGrant.slice(-19)).to.deep.equal(Array.from({ length: 19 }, () => 1));
    });

    it('grants nothing from a lease past its lifetime: the next request takes from the shared bucket', async () => {
      const counting = aCountingDatabase(test.database);
      const { clock, elapse } = aTestClock();
      const limiter = new PgRateLimiter(counting.database, { perSecond: 1000, burst: 2000 }, clock, { lifetimeMs: 250 });
      const take = async () => expect(await limiter.take('key:a')).to.deep.equal({ allowed: true });
      await take();
      await take();
      expect(counting.statements()).to.equal(1);
      await take();
      await take();
      expect(counting.statements()).to.equal(2);
      elapse(250);
      await take();
      expect(counting.statements()).to.equal(3);
    });

    it('keeps leases for at most maxClients callers, and makes room again as they expire', async () => {
      const counting = aCountingDatabase(test.database);
      const { clock, elapse } = aTestClock();
      const limiter = new PgRateLimiter(counting.database, { perSecond: 1000, burst: 2000 }, clock, { maxClients: 4, lifetimeMs: 250 });
      const twice = async (clients: string[]) => {
        for (const client of clients) for (let i = 0; i < 2; i++) expect((await limiter.take(client)).allowed).to.equal(true);
      };
      await twice(Array.from({ length: 10 }, (_, i) => `ip:192.0.2.${i}`));
      // The first 4 had a lease for their second request; the 6 others a statement each time.
      expect(counting.statements()).to.equal(4 + 6 * 2);
      elapse(250);
      await twice(Array.from({ length: 4 }, (_, i) => `ip:198.51.100.${i}`));
      expect(counting.statements()).to.equal(16 + 4);
    });

    it('makes the requests that come while a lease is taken wait for it, instead of sending their own', async () => {
      const counting = aCountingDatabase(test.database);
      const limiter = new PgRateLimiter(counting.database, { perSecond: 1000, burst: 2000 }, aTestClock().clock);
      counting.hold();
      const first = Array.from({ length: 5 }, () => limiter.take('key:a'));
      while (counting.statements() === 0) await tick();
      const later = [];
      for (let i = 0; i < 5; i++) {
        later.push(limiter.take('key:a'));
        await tick();
      }
      expect(counting.statements()).to.equal(1);
      counting.release();
      expect(await Promise.all([...first, ...later])).to.deep.equal(Array.from({ length: 10 }, () => ({ allowed: true })));
      expect(counting.statements()).to.equal(1);
    });
  });

describe('PgRateLimiter when the database is away', () => {
  it('answers DependencyUnavailableError (a 503, as storing the order would), not an unexpected error', async () => {
    const database = new NodePgDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/ordermail', max: 1, logger: silentLogger() });
    try {
      const failure = await new PgRateLimiter(database, { perSecond: 1, burst: 1 }, new SystemClock()).take('c').then(() => undefined, (error: unknown) => error);
      expect(failure).to.be.instanceOf(DependencyUnavailableError);
    } finally {
      await database.end();
    }
  });
});
