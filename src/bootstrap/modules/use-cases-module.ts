import { ContainerModule } from 'inversify';
import { ChangeOrderStatus } from '../../application/change-order-status.js';
import { CreateOrder } from '../../application/create-order.js';
import { GetOrder } from '../../application/get-order.js';
import { ListWebhookEndpoints } from '../../application/list-webhook-endpoints.js';
import { RegisterLocalReceiver } from '../../application/register-local-receiver.js';
import { RegisterWebhookEndpoint } from '../../application/register-webhook-endpoint.js';
import { RelayOutbox } from '../../application/relay-outbox.js';
import { RemoveWebhookEndpoint } from '../../application/remove-webhook-endpoint.js';
import { RotateWebhookSecret } from '../../application/rotate-webhook-secret.js';
import { SetWebhookEndpointEnabled } from '../../application/set-webhook-endpoint-enabled.js';
import { provide, T } from '../tokens.js';

export function useCasesModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(
      bind,
      T.CreateOrder,
      [T.OrderRepository, T.IdGenerator, T.Clock, T.Metrics],
      (orders, ids, clock, metrics) => new CreateOrder(orders, ids, clock, metrics),
    );
    provide(bind, T.GetOrder, [T.OrderRepository, T.NotificationLedger], (orders, ledger) => new GetOrder(orders, ledger));
    provide(bind, T.ChangeOrderStatus, [T.OrderRepository, T.IdGenerator, T.Clock], (orders, ids, clock) => new ChangeOrderStatus(orders, ids, clock));
    provide(
      bind,
      T.RelayOutbox,
      [T.Outbox, T.EventPublisher, T.Clock, T.Logger, T.Config, T.Metrics],
      (outbox, publisher, clock, logger, config, metrics) =>
        new RelayOutbox(outbox, publisher, clock, logger.child({ component: 'relay' }), {
          batchSize: config.relay.batchSize,
          pollIntervalMs: config.relay.pollIntervalMs,
          minBackoffMs: 200,
          maxBackoffMs: 10_000,
          lingerMs: config.relay.lingerMs,
          ...(config.relay.retentionMs > 0 ? { retentionMs: config.relay.retentionMs } : {}),
        }, metrics),
    );
    provide(
      bind,
      T.RegisterWebhookEndpoint,
      [T.WebhookEndpoints, T.WebhookAddressCheck, T.SecretGenerator, T.Clock, T.Logger, T.Config],
      (endpoints, addressCheck, random, clock, logger, config) =>
        new RegisterWebhookEndpoint(endpoints, addressCheck, random, clock, logger.child({ component: 'webhooks' }), { allowInsecure: config.webhooks.allowInsecure }),
    );
    provide(bind, T.ListWebhookEndpoints, [T.WebhookEndpoints, T.Clock], (endpoints, clock) => new ListWebhookEndpoints(endpoints, clock));
    provide(bind, T.SetWebhookEndpointEnabled, [T.WebhookEndpoints, T.Logger], (endpoints, logger) => new SetWebhookEndpointEnabled(endpoints, logger.child({ component: 'webhooks' })));
    provide(
      bind,
      T.RotateWebhookSecret,
      [T.WebhookEndpoints, T.SecretGenerator, T.Clock, T.Logger, T.Config],
      (endpoints, random, clock, logger, config) => new RotateWebhookSecret(endpoints, random, clock, logger.child({ component: 'webhooks' }), { graceMs: config.webhooks.secretGraceMs }),
    );
    provide(bind, T.RemoveWebhookEndpoint, [T.WebhookEndpoints, T.Logger], (endpoints, logger) => new RemoveWebhookEndpoint(endpoints, logger.child({ component: 'webhooks' })));
    provide(
      bind,
      T.RegisterLocalReceiver,
      [T.LocalReceiver, T.WebhookEndpoints, T.RegisterWebhookEndpoint, T.SetWebhookEndpointEnabled, T.RotateWebhookSecret, T.Logger],
      (receiver, endpoints, register, setEnabled, rotate, logger) => new RegisterLocalReceiver(receiver, endpoints, register, setEnabled, rotate, logger.child({ component: 'webhooks' })),
    );
  });
}
