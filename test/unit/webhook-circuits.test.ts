import { expect } from 'chai';
import { WebhookDeliveryError } from '../../src/application/ports/webhook-sender.js';
import { WebhookCircuits } from '../../src/application/webhook-circuits.js';
import { capturingLogger } from '../support/logs.js';

class ManualClock {
  private ms = Date.parse('2026-11-25T12:00:00Z');
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

const unreachable = () => new WebhookDeliveryError('unreachable', 'connect ECONNREFUSED 127.0.0.1:4400');
const A = 'ep_00000000000000000000000a';
const B = 'ep_00000000000000000000000b';

describe('The circuit of each webhook endpoint', () => {
  it('lets deliveries through until three failures in a row; those before it counted, the third opens it and pauses only that endpoint', () => {
    const clock = new ManualClock();
    const logs = capturingLogger();
    const circuits = new WebhookCircuits(clock, logs.logger);
    expect(circuits.failed(A, unreachable(), false), 'first failure counts against the delivery').to.equal(false);
    expect(circuits.failed(A, unreachable(), false)).to.equal(false);
    expect(circuits.failed(A, unreachable(), false), 'the third opens the circuit').to.equal(true);
    expect(circuits.admit(A)).to.deep.include({ allowed: false });
    expect(circuits.admit(B), 'another endpoint is not affected').to.deep.equal({ allowed: true });
    expect(circuits.paused()).to.deep.equal([A]);
    expect(logs.lines.filter((line) => line.msg === 'webhook endpoint unreachable: its deliveries are paused, and tried again one at a time')).to.have.length(1);
  });

  it('forgets failures once the endpoint answers', () => {
    const circuits = new WebhookCircuits(new ManualClock(), capturingLogger().logger);
    circuits.failed(A, unreachable(), false);
    circuits.failed(A, unreachable(), false);
    circuits.reachable(A);
    expect(circuits.failed(A, unreachable(), false)).to.equal(false);
    expect(circuits.admit(A)).to.deep.equal({ allowed: true });
  });

  it('opens at once on a 429, for as long as its Retry-After says', () => {
    const clock = new ManualClock();
    const circuits = new WebhookCircuits(clock, capturingLogger().logger);
    expect(circuits.failed(A, new WebhookDeliveryError('failed', 'answered 429', { status: 429, retryAfterMs: 30_000 }), false)).to.equal(true);
    clock.advance(29_000);
    expect(circuits.admit(A)).to.deep.include({ allowed: false });
    clock.advance(1_000);
    expect(circuits.admit(A)).to.have.property('trial');
  });

  it('after the open time lets one delivery through as the trial; a failed trial doubles the wait, a 2xx closes it', () => {
    const clock = new ManualClock();
    const logs = capturingLogger();
    const circuits = new WebhookCircuits(clock, logs.logger, { failuresToOpen: 1, openMs: { min: 1000, max: 60_000 } });
    circuits.failed(A, unreachable(), false);
    clock.advance(1000);
    expect(circuits.paused(), 'due for a trial: its deliveries may be taken').to.deep.equal([]);
    expect(circuits.admit(A)).to.have.property('trial');
    expect(circuits.admit(A), 'one trial at a time').to.deep.include({ allowed: false });
    expect(circuits.paused()).to.deep.equal([A]);
    expect(circuits.failed(A, unreachable(), true)).to.equal(true);
    clock.advance(1999);
    expect(circuits.admit(A), 'twice as long after a failed trial').to.deep.include({ allowed: false });
    clock.advance(1);
    expect(circuits.admit(A)).to.have.property('trial');
    circuits.reachable(A);
    expect(circuits.admit(A)).to.deep.equal({ allowed: true });
    expect(logs.lines.some((line) => line.msg === 'webhook endpoint reachable again: deliveries resumed' && line.endpointId === A)).to.equal(true);
  });

  it('never waits longer than the most it is told, and a trial that ended undecided lets the next one try', () => {
    const clock = new ManualClock();
    const circuits = new WebhookCircuits(clock, capturingLogger().logger, { failuresToOpen: 1, openMs: { min: 1000, max: 4000 } });
    circuits.failed(A, unreachable(), false);
    for (let round = 0; round < 10; round++) {
      clock.advance(4000);
      const admission = circuits.admit(A);
      expect(admission, `round ${round}`).to.have.property('trial');
      circuits.failed(A, unreachable(), true);
      if (admission.allowed) admission.trial?.end();
    }
    clock.advance(4000);
    const undecided = circuits.admit(A);
    expect(undecided).to.have.property('trial');
    if (undecided.allowed) undecided.trial?.end();
    expect(circuits.admit(A)).to.have.property('trial');
  });

  it('never lets a failure that is not the trial start or hold one: only admit() hands it out, and ending an old trial leaves a later one alone', () => {
    const clock = new ManualClock();
    const circuits = new WebhookCircuits(clock, capturingLogger().logger, { failuresToOpen: 1, openMs: { min: 1000, max: 4000 } });
    circuits.failed(A, unreachable(), false);
    clock.advance(1000);
    // A delivery that started before the circuit opened fails after its open time: the endpoint stays due for a trial.
    expect(circuits.failed(A, unreachable(), false)).to.equal(true);
    expect(circuits.openUntil(A).getTime()).to.be.at.most(clock.now().getTime() + 1000);
    expect(circuits.paused(), 'open time over: its deliveries may be taken for the trial').to.deep.equal([]);
    const first = circuits.admit(A);
    expect(first).to.have.property('trial');
    circuits.failed(A, unreachable(), true);
    clock.advance(2000);
    const second = circuits.admit(A);
    expect(second).to.have.property('trial');
    if (first.allowed) first.trial?.end();
    expect(circuits.admit(A), 'the second trial still runs').to.deep.include({ allowed: false });
    if (second.allowed) second.trial?.end();
    expect(circuits.admit(A)).to.have.property('trial');
  });
});
