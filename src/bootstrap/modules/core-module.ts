import { ContainerModule } from 'inversify';
import type { Logger } from '../../application/ports/logger.js';
import { RandomIdGenerator } from '../../adapters/system/random-id-generator.js';
import { RandomSecretGenerator } from '../../adapters/system/random-secret-generator.js';
import { HttpLocalReceiver } from '../../adapters/webhook/http-local-receiver.js';
import { HttpWebhookAddressCheck } from '../../adapters/webhook/http-webhook-address-check.js';
import { SystemClock } from '../../adapters/system/system-clock.js';
import { PrometheusMetrics } from '../../adapters/metrics/prometheus-metrics.js';
import type { Config } from '../config.js';
import { provide, T } from '../tokens.js';

export function coreModule(config: Config, logger: Logger, role: string): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(T.Config).toConstantValue(config);
    bind(T.Logger).toConstantValue(logger);
    bind(T.Clock).toConstantValue(new SystemClock());
    // The roles that send email: one provider per SMTP_URL and SMTP_FALLBACK_URL entry, or the embedded inbox.
    const smtpProviders = role === 'notifier' || role === 'all' ? Math.max(1, config.smtp.urls.length) : 0;
    bind(T.MetricsRegistry).toConstantValue(new PrometheusMetrics({ service: config.serviceName, role }, smtpProviders));
    provide(bind, T.Metrics, [T.MetricsRegistry], (registry) => registry);
    bind(T.IdGenerator).toConstantValue(new RandomIdGenerator());
    bind(T.SecretGenerator).toConstantValue(new RandomSecretGenerator());
    bind(T.WebhookAddressCheck).toConstantValue(new HttpWebhookAddressCheck({ allowInsecure: config.webhooks.allowInsecure }));
    bind(T.LocalReceiver).toConstantValue(new HttpLocalReceiver({ port: config.webhooks.receiverPort }));
  });
}
