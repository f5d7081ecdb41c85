import { expect } from 'chai';
import { DataRejectedError, DependencyUnavailableError } from '../../src/application/errors.js';
import { isOutage, translate } from '../../src/adapters/postgres/pg-errors.js';

const withCode = (code: string): Error => Object.assign(new Error(`SQLSTATE ${code}`), { code });

describe('PostgreSQL failures, sorted', () => {
  for (const [code, what] of [
    ['08006', 'connection failure'],
    ['57P01', 'admin shutdown'],
    ['25006', 'read-only transaction (a standby after a failover)'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock'],
    ['53100', 'disk full'],
    ['55P03', 'lock not available'],
    ['58030', 'I/O error'],
  ] as const)
    it(`${code} (${what}) is the database away: retried in place, never poison`, () => {
      expect(translate(withCode(code))).to.be.instanceOf(DependencyUnavailableError);
    });

  for (const [code, what] of [
    ['22021', 'a NUL in text'],
    ['22P02', 'a malformed uuid'],
    ['23505', 'a unique violation'],
  ] as const)
    it(`${code} (${what}) is the data refused: this message's own failure`, () => {
      expect(translate(withCode(code))).to.be.instanceOf(DataRejectedError);
    });

  it('leaves anything else as it is (a bug, to be dead-lettered with a loud line)', () => {
    const bug = new TypeError('x is undefined');
    expect(translate(bug)).to.equal(bug);
    expect(translate(withCode('XX000'))).to.not.be.instanceOf(DependencyUnavailableError);
  });
});

describe('A database that is away, told from a statement refused (for batches)', () => {
  it('counts a lost or refused connection and a timeout as the database away, raw or translated', () => {
    for (const error of [withCode('ECONNREFUSED'), withCode('08006'), withCode('57014'), new Error('Connection terminated unexpectedly')]) {
      expect(isOutage(error), String(error)).to.equal(true);
      expect(isOutage(translate(error)), `translated ${String(error)}`).to.equal(true);
    }
  });

  it('counts a refusal of the statement (a deadlock, a constraint, a bad value) as not an outage: its items are tried one by one', () => {
    for (const code of ['40P01', '40001', '23505', '22P02']) expect(isOutage(withCode(code)), code).to.equal(false);
    expect(isOutage(translate(withCode('40P01')))).to.equal(false);
  });
});
