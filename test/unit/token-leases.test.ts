import { expect } from 'chai';
import { TokenLeases, type TokenLeaseSettings } from '../../src/adapters/postgres/token-leases.js';

/** Leases on a clock the test moves. */
function someLeases(settings: Partial<TokenLeaseSettings> = {}) {
  let now = Date.parse('2026-11-24T12:00:00Z');
  const leases = new TokenLeases({ maxLease: 100, lifetimeMs: 250, maxClients: 1000, ...settings }, { now: () => new Date(now) });
  return {
    leases,
    elapse: (ms: number) => {
      now += ms;
    },
    /** What a statement begun now did for `client`: `wanted` requests, `surplus` tokens more taken. */
    took: (client: string, wanted: number, surplus: number, low = false) => leases.keep(client, { surplus, served: wanted, low, takenAt: now }),
  };
}

const grants = (leases: TokenLeases, client: string, tries: number): number => Array.from({ length: tries }, () => leases.grant(client)).filter(Boolean).length;

describe('TokenLeases (tokens taken ahead from a shared bucket)', () => {
  it('grants exactly the surplus it was given, then nothing', () => {
    const { leases, took } = someLeases();
    expect(leases.grant('key:a')).to.equal(false);
    leases.extraFor('key:a', 1);
    took('key:a', 1, 7);
    expect(grants(leases, 'key:a', 20)).to.equal(7);
    expect(grants(leases, 'key:b', 5)).to.equal(0);
  });

  it('grants nothing from a lease once its lifetime has passed since its statement began', () => {
    const { leases, took, elapse } = someLeases({ lifetimeMs: 250 });
    leases.extraFor('key:a', 1);
    took('key:a', 1, 10);
    elapse(249);
    expect(leases.grant('key:a')).to.equal(true);
    elapse(1);
    expect(grants(leases, 'key:a', 10)).to.equal(0);
  });

  it('adds a surplus to a live lease, up to maxLease, without keeping its tokens past their own expiry', () => {
    const { leases, took, elapse } = someLeases({ lifetimeMs: 250, maxLease: 10 });
    leases.extraFor('key:a', 1);
    took('key:a', 1, 3);
    elapse(200);
    took('key:a', 1, 4);
    expect(leases.grant('key:a')).to.equal(true);
    elapse(50);
    expect(grants(leases, 'key:a', 10)).to.equal(0);
    took('key:a', 1, 8);
    took('key:a', 1, 8);
    expect(grants(leases, 'key:a', 20)).to.equal(10);
  });

  it('asks a new client for as many again as it wants, then for twice what it used, at most maxLease', () => {
    const { leases, took } = someLeases({ maxLease: 30 });
    expect(leases.extraFor('key:a', 3)).to.equal(3);
    took('key:a', 3, 3);
    grants(leases, 'key:a', 3);
    expect(leases.extraFor('key:a', 1)).to.equal(12);
    took('key:a', 1, 12);
    grants(leases, 'key:a', 12);
    expect(leases.extraFor('key:a', 1)).to.equal(26);
    took('key:a', 1, 26);
    grants(leases, 'key:a', 26);
    expect(leases.extraFor('key:a', 1)).to.equal(30);
  });

  it('asks for no lease when the refill is too slow for one, or while one for the client is under way', () => {
    expect(someLeases({ maxLease: 0 }).leases.extraFor('key:a', 5)).to.equal(0);
    const { leases } = someLeases();
    leases.fetching('key:a', new Promise<void>(() => undefined));
    expect(leases.extraFor('key:a', 5)).to.equal(0);
  });

  it('makes requests wait for a lease under way, unless the last statement left the bucket low', () => {
    const { leases, took } = someLeases();
    const fetch = Promise.resolve();
    leases.fetching('key:a', fetch);
    expect(leases.pending('key:a')).to.equal(fetch);
    leases.fetched('key:a', fetch);
    expect(leases.pending('key:a')).to.equal(undefined);
    leases.extraFor('key:b', 1);
    took('key:b', 1, 0, true);
    leases.fetching('key:b', fetch);
    expect(leases.pending('key:b')).to.equal(undefined);
  });

  it('remembers at most maxClients clients, and makes room by dropping the expired ones', () => {
    const { leases, took, elapse } = someLeases({ maxClients: 50, lifetimeMs: 250 });
    const clients = Array.from({ length: 500 }, (_, i) => `ip:198.51.100.${i}`);
    for (const client of clients) took(client, 1, leases.extraFor(client, 1));
    expect(leases.dropExpired()).to.equal(50);
    expect(clients.filter((client) => leases.grant(client))).to.have.length(50);
    expect(leases.extraFor('ip:203.0.113.1', 1)).to.equal(0);
    elapse(250);
    expect(leases.extraFor('ip:203.0.113.1', 1)).to.equal(1);
    expect(leases.dropExpired()).to.equal(1);
  });
});
