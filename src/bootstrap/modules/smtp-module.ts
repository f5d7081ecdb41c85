import { ContainerModule } from 'inversify';
import { MailCircuit } from '../../application/mail-circuit.js';
import { smtpHealthCheck } from '../../application/smtp-health-check.js';
import { EmbeddedInbox, type InboxLimits } from '../../adapters/smtp/embedded-inbox.js';
import { SmtpMailer } from '../../adapters/smtp/smtp-mailer.js';
import { provide, T } from '../tokens.js';

export type MailServer = { readonly url: string } | { readonly embeddedPort: number; readonly limits?: InboxLimits };

/** The mailer and its circuit breaker: a real SMTP server, or the embedded inbox. */
export function smtpModule(server: MailServer): ContainerModule {
  return new ContainerModule(({ bind }) => {
    if ('embeddedPort' in server) {
      provide(bind, T.Inbox, [], () => EmbeddedInbox.start(server.embeddedPort, server.limits)).onDeactivation((inbox) => inbox.stop());
      provide(bind, T.SmtpUrl, [T.Inbox], (inbox) => inbox.smtpUrl);
    } else {
      bind(T.SmtpUrl).toConstantValue(server.url);
    }
    provide(bind, T.SmtpMailer, [T.Config, T.SmtpUrl], ({ smtp }, url) => new SmtpMailer({ url, from: smtp.from, ...(smtp.rateLimit ? { rateLimit: smtp.rateLimit } : {}), ...(smtp.dkim ? { dkim: smtp.dkim } : {}) })).onDeactivation(
      (mailer) => mailer.close(),
    );
    provide(bind, T.Mailer, [T.SmtpMailer], (mailer) => mailer);
    provide(bind, T.MailCircuit, [T.Mailer, T.Clock, T.Logger, T.Metrics], (mailer, clock, logger, metrics) => new MailCircuit(mailer, clock, logger.child({ component: 'smtp' }), undefined, metrics)).onDeactivation((circuit) =>
      circuit.stop(),
    );
    provide(bind, T.NotifierGate, [T.MailCircuit], (circuit) => circuit.gate);
    provide(bind, T.HealthCheck, [T.MailCircuit, T.Mailer, T.Clock, T.Logger], (circuit, mailer, clock, logger) => smtpHealthCheck(circuit, mailer, clock, logger.child({ component: 'smtp' })));
  });
}
