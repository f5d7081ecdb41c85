import { ContainerModule } from 'inversify';
import { HealthCheckFailure } from '../../application/ports/health-check.js';
import { AdminOverview } from '../../application/admin-overview.js';
import { PreviewEmail } from '../../application/preview-email.js';
import { ReplayDeadLetter } from '../../application/replay-dead-letter.js';
import { createHttpApp } from '../../adapters/http/http-app.js';
import { PgAdminReadModel } from '../../adapters/postgres/pg-admin-read-model.js';
import { HttpServerService } from '../http-server-service.js';
import { PACKAGE_VERSION } from '../package-version.js';
import { all, optional, provide, T } from '../tokens.js';
import { registerHealthGauge, registerLagGauge } from './metrics-gauges.js';

/** The public order API on PORT, with the admin page when an admin token is set. */
export function httpModule(adminToken?: string): ContainerModule {
  return new ContainerModule(({ bind }) => {
    let server: HttpServerService | undefined;
    // Fails from SIGTERM on, so GET /ready answers 503 and a load balancer stops sending while HTTP drains.
    bind(T.HealthCheck).toConstantValue({
      name: 'http',
      critical: false,
      requiredForReady: true,
      check: async () => {
        if (server?.isDraining) throw new HealthCheckFailure('shutting down', {});
      },
    });
    provide(
      bind,
      T.AdminWebhooks,
      [T.RegisterWebhookEndpoint, T.ListWebhookEndpoints, T.SetWebhookEndpointEnabled, T.RotateWebhookSecret, T.RemoveWebhookEndpoint, T.RegisterLocalReceiver, T.Config],
      (register, list, setEnabled, rotate, remove, localReceiver, config) => ({
        register,
        list,
        setEnabled,
        rotate,
        remove,
        // The local receiver's route exists only in development (WEBHOOK_ALLOW_INSECURE=true).
        ...(config.webhooks.allowInsecure ? { localReceiver } : {}),
      }),
    );
    provide(
      bind,
      T.Service,
      [T.Config, T.Logger, T.CreateOrder, T.GetOrder, T.ChangeOrderStatus, all(T.HealthCheck), T.MetricsRegistry, T.Database, T.NotificationLedger, optional(T.KafkaConsumerLag), optional(T.Channel), optional(T.Inbox), optional(T.OrderRateLimiter), T.AdminWebhooks, optional(T.EmailTemplates)],
      (config, logger, createOrder, getOrder, changeOrderStatus, healthChecks, metrics, database, ledger, kafkaLag, channel, inbox, orderRateLimiter, webhooks, templates) => {
        registerHealthGauge(metrics, healthChecks);
        if (kafkaLag) registerLagGauge(metrics, kafkaLag);
        const token = adminToken ?? config.adminToken;
        const admin = token
          ? {
              token,
              trustedProxyCount: config.trustedProxyCount,
              // Kafka's lag, or the in-process channel's queue in the single-process mode.
              overview: new AdminOverview(new PgAdminReadModel(database), kafkaLag ?? channel),
              replay: new ReplayDeadLetter(ledger, logger.child({ component: 'admin' })),
              ...(inbox ? { inbox } : {}),
              webhooks,
              ...(templates ? { preview: new PreviewEmail(templates) } : {}),
            }
          : undefined;
        const callers = { trustedProxyCount: config.trustedProxyCount, ...(config.apiKeys ? { apiKeys: config.apiKeys } : {}), ...(orderRateLimiter ? { orderRateLimiter } : {}) };
        const app = createHttpApp({ createOrder, getOrder, changeOrderStatus, healthChecks, logger, metrics, version: PACKAGE_VERSION, ...callers, ...(admin ? { admin } : {}) });
        server = new HttpServerService('http', app.callback(), config.port, logger, config.httpDrainMs);
        return server;
      },
    );
  });
}
