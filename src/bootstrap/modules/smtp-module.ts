import { ContainerModule } from 'inversify';
import { MailCircuit } from '../../application/mail-circuit.js';
import { MailProviders, providerLabel } from '../../application/mail-providers.js';
import { mailProvidersHealthCheck } from '../../application/smtp-health-check.js';
import type { InboxLimits } from '../../adapters/smtp/embedded-inbox.js';
import { SmtpMailer } from '../../adapters/smtp/smtp-mailer.js';
import { smtpProviderName } from '../config.js';
import { provide, T } from '../tokens.js';

/** Real SMTP servers, in the order they are tried (SMTP_URL, then SMTP_FALLBACK_URL), or the embedded inbox. */
export type MailServer = { readonly urls: readonly string[] } | { readonly embeddedPort: number; readonly limits?: InboxLimits };

/** A mailer and its circuit breaker per provider, the providers in order, and the gate and health check of them all. */
export function smtpModule(server: MailServer): ContainerModule {
  return new ContainerModule(({ bind }) => {
    if ('embeddedPort' in server) {
      // Imported here: its SMTP server and MIME parser are half a second of start-up the other roles never use.
      provide(bind, T.Inbox, [], async () => (await import('../../adapters/smtp/embedded-inbox.js')).EmbeddedInbox.start(server.embeddedPort, server.limits)).onDeactivation((inbox) => inbox.stop());
      provide(bind, T.SmtpUrls, [T.Inbox], (inbox) => [inbox.smtpUrl]);
    } else {
      bind(T.SmtpUrls).toConstantValue(server.urls);
    }
    provide(bind, T.SmtpMailers, [T.Config, T.SmtpUrls], ({ smtp }, urls) =>
      urls.map((url) => new SmtpMailer({ url, from: smtp.from, ...(smtp.rateLimit ? { rateLimit: smtp.rateLimit } : {}), ...(smtp.dkim ? { dkim: smtp.dkim } : {}) })),
    ).onDeactivation((mailers) => {
      for (const mailer of mailers) mailer.close();
    });
    provide(bind, T.MailProviders, [T.SmtpUrls, T.SmtpMailers, T.Clock, T.Logger, T.Metrics], (urls, mailers, clock, logger, metrics) => {
      const log = logger.child({ component: 'smtp' });
      const providers = new MailProviders(
        mailers.map((mailer, index) => {
          const name = smtpProviderName(urls[index] as string) ?? 'smtp';
          return { name, mailer, circuit: new MailCircuit(mailer, clock, log.child({ provider: name }), undefined, metrics, providerLabel(index)) };
        }),
        log,
      );
      if (providers.all.length > 1) log.info('SMTP providers, in the order they are tried', { providers: providers.all.map(({ label, name }) => `${label}=${name}`) });
      return providers;
    }).onDeactivation((providers) => providers.stop());
    provide(bind, T.NotifierGate, [T.MailProviders], (providers) => providers.gate);
    provide(bind, T.HealthCheck, [T.MailProviders, T.Clock, T.Logger], (providers, clock, logger) => mailProvidersHealthCheck(providers, clock, logger.child({ component: 'smtp' })));
  });
}
