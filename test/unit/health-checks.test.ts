import { expect } from 'chai';
import { InMemoryMailer } from '../../src/adapters/memory/in-memory-mailer.js';
import { MailCircuit } from '../../src/application/mail-circuit.js';
import { HealthCheckFailure } from '../../src/application/ports/health-check.js';
import { MailDeliveryError } from '../../src/application/ports/mailer.js';
import type { OutboxBacklog } from '../../src/application/ports/outbox.js';
import { relayHealthCheck } from '../../src/application/relay-health-check.js';
import type { RelayState } from '../../src/application/relay-outbox.js';
import { smtpHealthCheck } from '../../src/application/smtp-health-check.js';
import { capturingLogger } from '../support/logs.js';

class FakeClock {
  at = Date.parse('2026-11-24T12:00:00Z');
  now = (): Date => new Date(this.at);
}

async function failureOf(check: () => Promise<unknown>): Promise<HealthCheckFailure> {
  try {
    await check();
  } catch (error) {
    expect(error).to.be.instanceOf(HealthCheckFailure);
    return error as HealthCheckFailure;
  }
  throw new Error('the check passed');
}

/** A mailer whose verify() calls are counted, and held while `held` is set. */
class CountingMailer extends InMemoryMailer {
  verifications = 0;
  held?: Promise<void>;
  override async verify(): Promise<void> {
    this.verifications += 1;
    await this.held;
    return super.verify();
  }
}

describe('smtpHealthCheck', () => {
  const setUp = () => {
    const mailer = new CountingMailer();
    const { logger, lines } = capturingLogger();
    const clock = new FakeClock();
    const circuit = new MailCircuit(mailer, clock, logger, { min: 60_000, max: 60_000 });
    return { mailer, circuit, clock, lines, check: smtpHealthCheck(circuit, mailer, clock, logger) };
  };

  it('passes with the time of the verify() it awaited on the first probe', async () => {
    const { check, mailer } = setUp();
    expect(await check.check()).to.deep.equal({ circuit: 'closed', verifiedAt: '2026-11-24T12:00:00.000Z' });
    expect(mailer.verifications).to.equal(1);
  });

  it('answers from the last verify() for 30 s, then verifies again in the background', async () => {
    const { check, mailer, clock } = setUp();
    await check.check();
    clock.at += 30_000;
    await check.check();
    expect(mailer.verifications, 'within 30 s').to.equal(1);
    clock.at += 1;
    let release!: () => void;
    mailer.held = new Promise((resolve) => (release = resolve));
    expect(await check.check(), 'the probe does not wait for the new verify()').to.deep.equal({ circuit: 'closed', verifiedAt: '2026-11-24T12:00:00.000Z' });
    expect(mailer.verifications).to.equal(2);
    await check.check();
    expect(mailer.verifications, 'one verify() at a time').to.equal(2);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await check.check()).to.deep.equal({ circuit: 'closed', verifiedAt: '2026-11-24T12:00:30.001Z' });
  });

  it('fails with the failure kind only, and logs the server text', async () => {
    const { check, mailer, lines } = setUp();
    mailer.reachable = false;
    const failure = await failureOf(() => check.check());
    expect(failure.message).to.equal('smtp-unreachable');
    expect(failure.details).to.deep.equal({ circuit: 'closed', checkedAt: '2026-11-24T12:00:00.000Z' });
    expect(lines.find((line) => line.msg === 'SMTP server check failed')).to.deep.include({ kind: 'smtp-unreachable', error: 'connect ECONNREFUSED (in-memory mailer is down)' });
  });

  it('fails while the circuit is open, naming its kind and since when, without verifying', async () => {
    const { check, mailer, circuit } = setUp();
    circuit.trip(new MailDeliveryError('auth', '535 authentication failed'));
    try {
      const failure = await failureOf(() => check.check());
      expect(failure.message).to.equal('auth-failed');
      expect(failure.details).to.deep.equal({ circuit: 'open', since: '2026-11-24T12:00:00.000Z' });
      expect(mailer.verifications).to.equal(0);
    } finally {
      await circuit.stop();
    }
  });
});

describe('relayHealthCheck', () => {
  const backlog = (value: OutboxBacklog) => ({ backlog: async () => value });

  it('shows the backlog, the parked events and the age of the oldest waiting one', async () => {
    const clock = new FakeClock();
    const relay = { status: { circuit: 'closed', consecutiveFailures: 0 } as RelayState };
    const check = relayHealthCheck(relay, backlog({ count: 3, parked: 1, oldestCreatedAt: new Date(clock.at - 1500) }), clock);
    expect(await check.check()).to.deep.equal({ circuit: 'closed', backlog: 3, parked: 1, oldestAgeMs: 1500 });
    expect(await relayHealthCheck(relay, backlog({ count: 0, parked: 0 }), clock).check()).to.deep.equal({ circuit: 'closed', backlog: 0, parked: 0, oldestAgeMs: 0 });
  });

  it('fails while the relay circuit is open, with its failures and without the broker text', async () => {
    const relay = { status: { circuit: 'open', consecutiveFailures: 4, lastError: 'connect ECONNREFUSED 10.0.0.7:9092' } as RelayState };
    const failure = await failureOf(() => relayHealthCheck(relay, backlog({ count: 2, parked: 0 }), new FakeClock()).check());
    expect(failure.message).to.equal('publishing failing');
    expect(failure.details).to.deep.equal({ circuit: 'open', backlog: 2, parked: 0, oldestAgeMs: 0, consecutiveFailures: 4 });
  });
});
