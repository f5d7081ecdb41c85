import { expect } from 'chai';
import { InMemoryRecipientQuota } from '../../src/adapters/memory/in-memory-recipient-quota.js';
import { PgRecipientQuota } from '../../src/adapters/postgres/pg-recipient-quota.js';
import { NodePgDatabase } from '../../src/adapters/postgres/sql-database.js';
import { DependencyUnavailableError } from '../../src/application/errors.js';
import { quotaUnitOf, type RecipientQuota } from '../../src/application/ports/recipient-quota.js';
import { embeddedDatabase, serverDatabase, type TestDatabase } from '../support/databases.js';
import { silentLogger } from '../support/logs.js';

const MINUTE = 60_000;

interface QuotaSubject {
  /** Quotas on the same store: what several notifier processes share. */
  quota(perHour: number): RecipientQuota;
  /** Lets `ms` pass for every unit (the store's clock, or the stored times moved back). */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

const inMemory = async (): Promise<QuotaSubject> => {
  let now = Date.parse('2026-11-24T12:00:00Z');
  const clock = { now: () => new Date(now) };
  // One store for every quota it hands out, as one database is for every PgRecipientQuota.
  let shared: InMemoryRecipientQuota | undefined;
  return {
    quota: (perHour) => (shared ??= new InMemoryRecipientQuota(perHour, clock)),
    elapse: async (ms) => {
      now += ms;
    },
    close: async () => undefined,
  };
};

const onDatabase = (open: () => Promise<TestDatabase>) => async (): Promise<QuotaSubject> => {
  const { database, close } = await open();
  return {
    quota: (perHour) => new PgRecipientQuota(database, perHour),
    elapse: async (ms) => {
      await database.query(`UPDATE recipient_quota_units SET taken_at = taken_at - $1 * interval '1 millisecond'`, [ms]);
    },
    close,
  };
};

function recipientQuotaContract(makeSubject: () => Promise<QuotaSubject>): void {
  let subject: QuotaSubject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(() => subject.close());

  const takeFor = async (quota: RecipientQuota, recipient: string, orderIds: string[]): Promise<boolean[]> => {
    const decisions = [];
    for (const orderId of orderIds) decisions.push(await quota.take(recipient, orderId));
    return decisions;
  };

  it('takes a unit per notification: the confirmation and the shipping email of one order take one each, a retry of either none', async () => {
    const quota = subject.quota(2);
    const confirmation = quotaUnitOf({ orderId: 'o-1', kind: 'order-created', channel: 'email' });
    const shipping = quotaUnitOf({ orderId: 'o-1', kind: 'order-shipped', channel: 'email' });
    expect(confirmation).to.equal('order-created/o-1');
    expect(await takeFor(quota, 'ada@example.com', [confirmation, shipping, confirmation, shipping])).to.deep.equal([true, true, true, true]);
    expect(await quota.take('ada@example.com', quotaUnitOf({ orderId: 'o-2', kind: 'order-created', channel: 'email' }))).to.equal(false);
  });

  it('allows `perHour` orders to a recipient, then refuses the next', async () => {
    const quota = subject.quota(3);
    expect(await takeFor(quota, 'ada@example.com', ['o-1', 'o-2', 'o-3', 'o-4', 'o-5'])).to.deep.equal([true, true, true, false, false]);
  });

  it('counts every recipient on its own', async () => {
    const quota = subject.quota(1);
    expect(await quota.take('ada@example.com', 'o-1')).to.equal(true);
    expect(await quota.take('ada@example.com', 'o-2')).to.equal(false);
    expect(await quota.take('bob@example.com', 'o-3')).to.equal(true);
  });

  it('takes one unit per order however often the same order asks within the hour', async () => {
    const quota = subject.quota(2);
    expect(await takeFor(quota, 'ada@example.com', ['o-1', 'o-1', 'o-1'])).to.deep.equal([true, true, true]);
    await subject.elapse(30 * MINUTE);
    expect(await takeFor(quota, 'ada@example.com', ['o-1', 'o-2', 'o-3'])).to.deep.equal([true, true, false]);
  });

  it('lets an order that already holds a unit through even when the recipient is at the cap', async () => {
    const quota = subject.quota(1);
    expect(await quota.take('ada@example.com', 'o-1')).to.equal(true);
    expect(await quota.take('ada@example.com', 'o-2')).to.equal(false);
    expect(await quota.take('ada@example.com', 'o-1')).to.equal(true);
  });

  it('slides: a unit counts for one hour after it was taken, then frees its place', async () => {
    const quota = subject.quota(2);
    await quota.take('ada@example.com', 'o-1');
    await subject.elapse(40 * MINUTE);
    await quota.take('ada@example.com', 'o-2');
    expect(await quota.take('ada@example.com', 'o-3')).to.equal(false);
    await subject.elapse(21 * MINUTE);
    // o-1 is 61 minutes old, o-2 21: one place again, only one.
    expect(await takeFor(quota, 'ada@example.com', ['o-3', 'o-4'])).to.deep.equal([true, false]);
  });

  it('counts an order again, like a new one, when it asks after its unit expired', async () => {
    const quota = subject.quota(1);
    await quota.take('ada@example.com', 'o-1');
    await subject.elapse(61 * MINUTE);
    expect(await quota.take('ada@example.com', 'o-2')).to.equal(true);
    expect(await quota.take('ada@example.com', 'o-1')).to.equal(false);
  });

  it('allows exactly `perHour` of many orders to one recipient asked at once, from several processes', async () => {
    const quotas = [subject.quota(5), subject.quota(5), subject.quota(5)];
    const decisions = await Promise.all(Array.from({ length: 30 }, (_, n) => (quotas[n % 3] as RecipientQuota).take('ada@example.com', `o-${n}`)));
    expect(decisions.filter(Boolean)).to.have.length(5);
  });

  it('takes one unit for an order asked for twice at once', async () => {
    const [a, b] = [subject.quota(2), subject.quota(2)];
    expect(await Promise.all([a.take('ada@example.com', 'o-1'), b.take('ada@example.com', 'o-1')])).to.deep.equal([true, true]);
    expect(await takeFor(a, 'ada@example.com', ['o-2', 'o-3'])).to.deep.equal([true, false]);
  });

  it('prunes the units older than an hour, and only those', async () => {
    const quota = subject.quota(2);
    await takeFor(quota, 'ada@example.com', ['o-1', 'o-2']);
    await subject.elapse(61 * MINUTE);
    await quota.take('bob@example.com', 'o-3');
    expect(await quota.prune()).to.equal(2);
    expect(await quota.prune()).to.equal(0);
    expect(await takeFor(quota, 'bob@example.com', ['o-4', 'o-5'])).to.deep.equal([true, false]);
  });
}

for (const [name, makeSubject] of [
  ['InMemoryRecipientQuota', inMemory],
  ['PgRecipientQuota on a PostgreSQL server', onDatabase(serverDatabase)],
  ['PgRecipientQuota on embedded PGlite', onDatabase(embeddedDatabase)],
] as const) {
  describe(`RecipientQuota contract: ${name}`, () => recipientQuotaContract(makeSubject));
}

describe('PgRecipientQuota', () => {
  it('keeps no address in the database, only a hash of its key', async () => {
    const { database, close } = await serverDatabase();
    try {
      await new PgRecipientQuota(database, 1).take('ada@example.com', 'o-1');
      const { rows } = await database.query<{ recipient: string }>('SELECT recipient FROM recipient_quota_units');
      expect(rows).to.have.length(1);
      expect(rows[0]?.recipient).to.not.contain('ada').and.not.contain('example');
    } finally {
      await close();
    }
  });

  it('answers DependencyUnavailableError when the database is away', async () => {
    const database = new NodePgDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/ordermail', max: 1, logger: silentLogger() });
    try {
      const failure = await new PgRecipientQuota(database, 1).take('ada@example.com', 'o-1').then(() => undefined, (error: unknown) => error);
      expect(failure).to.be.instanceOf(DependencyUnavailableError);
    } finally {
      await database.end();
    }
  });
});
