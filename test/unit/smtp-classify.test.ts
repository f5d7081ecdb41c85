import { expect } from 'chai';
import { classify } from '../../src/adapters/smtp/smtp-mailer.js';

describe('SmtpMailer: sorting a failure', () => {
  it('calls a sending quota (X.4.5) a refusal of us that is rate-limited', () => {
    const error = classify({ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 550, response: '550 5.4.5 Daily user sending quota exceeded', message: 'quota' });
    expect(error).to.include({ kind: 'refused', rateLimited: true, failureKind: 'rate-limited' });
  });

  it('calls any other refusal at MAIL FROM sender-refused, not rate-limited', () => {
    const error = classify({ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 554, response: '554 5.7.1 Sender blocked', message: 'blocked' });
    expect(error).to.include({ kind: 'refused', rateLimited: false, failureKind: 'sender-refused' });
  });
});
