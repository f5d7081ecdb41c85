import { expect } from 'chai';
import { DataRejectedError, DependencyUnavailableError } from '../../src/application/errors.js';
import { translate } from '../../src/adapters/postgres/pg-errors.js';

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
