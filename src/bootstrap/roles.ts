import { join } from 'node:path';
import { Container, type ContainerModule } from 'inversify';
import type { Logger } from '../application/ports/logger.js';
import { ConfigError, messageIdDomainOf, type Config, type Role } from './config.js';
import { coreModule } from './modules/core-module.js';
import { httpModule } from './modules/http-module.js';
import { dlqReplayModule } from './modules/dlq-replay-module.js';
import { emailTemplatesModule } from './modules/email-templates-module.js';
import { kafkaProducerModule } from './modules/kafka-producer-module.js';
import { kafkaConsumerModule } from './modules/kafka-consumer-module.js';
import { notifierModule } from './modules/notifier-module.js';
import { webhookDeliveryModule } from './modules/webhook-delivery-module.js';
import { opsServerModule } from './modules/ops-server-module.js';
import { recipientQuotaModule } from './modules/recipient-quota-module.js';
import { retrySweeperModule } from './modules/retry-sweeper-module.js';
import { smtpModule } from './modules/smtp-module.js';
import { inProcessChannelModule } from './modules/in-process-channel-module.js';
import { postgresModule } from './modules/postgres-module.js';
import { orderRateLimitModule } from './modules/rate-limit-module.js';
import { relayModule } from './modules/relay-module.js';
import { useCasesModule } from './modules/use-cases-module.js';
import { T, type Service, type Task } from './tokens.js';

/** What each role needs from the environment; a role never falls back to a stand-in silently. */
const REQUIRED: Record<Role, readonly ('DATABASE_URL' | 'KAFKA_BROKERS' | 'SMTP_URL')[]> = {
  all: [],
  api: ['DATABASE_URL', 'KAFKA_BROKERS'],
  relay: ['DATABASE_URL', 'KAFKA_BROKERS'],
  migrate: ['DATABASE_URL'],
  notifier: ['DATABASE_URL', 'KAFKA_BROKERS', 'SMTP_URL'],
  'dlq-replay': ['DATABASE_URL', 'KAFKA_BROKERS'],
};

const PRESENT = {
  DATABASE_URL: (config: Config) => config.databaseUrl !== undefined,
  KAFKA_BROKERS: (config: Config) => config.kafka.brokers !== undefined,
  SMTP_URL: (config: Config) => config.smtp.url !== undefined,
};

/** Names every variable the role needs that is not set, as ConfigError lines. */
export function checkRequirements(role: Role, config: Config): void {
  const missing = REQUIRED[role].filter((name) => !PRESENT[name](config));
  if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name}: required by --role=${role} (see .env.example)`));
}

/** What the role runs without, or with, that it should not in production, one log line each at start-up. */
export function startupWarnings(role: Role, config: Config): string[] {
  const warnings: string[] = [];
  if (role === 'api' && !config.apiKeys)
    warnings.push('API_KEYS is unset: anyone who reaches this port may create orders (and so send email) and look them up; set API_KEYS unless a gateway in front authenticates callers');
  if (config.webhooks.allowInsecure && role !== 'migrate' && role !== 'dlq-replay')
    warnings.push('WEBHOOK_ALLOW_INSECURE is on: webhook endpoints may be http:// to this machine, and loopback addresses may be called; development only');
  const dkim = config.smtp.dkim;
  const fromDomain = messageIdDomainOf(config.smtp.from).toLowerCase();
  if ((role === 'notifier' || role === 'all') && dkim && !aligned(dkim.domainName, fromDomain))
    warnings.push(
      `DKIM_DOMAIN (${dkim.domainName}) is not the domain of MAIL_FROM (${fromDomain}) nor one of its parents or subdomains: ` +
        'receivers applying DMARC will not count the signature as the sender\'s; sign with the domain customers see in From',
    );
  return warnings;
}

/** DMARC's relaxed alignment, short of the public-suffix list: one domain is the other, or under it. */
function aligned(signingDomain: string, fromDomain: string): boolean {
  return signingDomain === fromDomain || fromDomain.endsWith(`.${signingDomain}`) || signingDomain.endsWith(`.${fromDomain}`);
}

/** A role is the list of modules it loads; its services are what it runs. */
export function modulesFor(role: Role, config: Config, logger: Logger, options: RoleOptions = {}): ContainerModule[] {
  checkRequirements(role, config);
  const core = [coreModule(config, logger, role), useCasesModule()];
  const databaseUrl = config.databaseUrl as string;
  const brokers = config.kafka.brokers ?? [];
  const limit = config.orderRateLimit;
  const perRecipient = config.notifier.maxPerRecipientPerHour;
  const recipientCap = perRecipient > 0 ? [recipientQuotaModule(perRecipient)] : [];
  // Services stop in reverse order: HTTP (last here) first, then the relay publishes what HTTP accepted while draining.
  switch (role) {
    case 'api':
      return [
        ...core,
        postgresModule({ url: databaseUrl }),
        kafkaProducerModule(brokers),
        ...(config.relay.enabled ? [relayModule()] : []),
        ...(limit ? [orderRateLimitModule(limit, true)] : []),
        // The admin page previews the emails.
        ...(config.adminToken ? [emailTemplatesModule()] : []),
        httpModule(),
      ];
    case 'relay':
      return [...core, postgresModule({ url: databaseUrl }), kafkaProducerModule(brokers), relayModule()];
    case 'notifier':
      return [
        ...core,
        postgresModule({ url: databaseUrl }),
        kafkaProducerModule(brokers),
        smtpModule({ urls: config.smtp.urls }),
        emailTemplatesModule(),
        ...recipientCap,
        notifierModule(),
        // After the sweeper, so it stops before it: the sweeper renews the leases of deliveries still draining.
        retrySweeperModule(),
        webhookDeliveryModule(),
        kafkaConsumerModule(),
        opsServerModule(),
      ];
    case 'all':
      // Each embedded part gives way to the real one as soon as its variable is set.
      return [
        ...core,
        postgresModule(config.databaseUrl ? { url: config.databaseUrl } : { embeddedDir: join(config.dataDir, 'pglite') }),
        ...(config.kafka.brokers ? [kafkaProducerModule(config.kafka.brokers), kafkaConsumerModule()] : [inProcessChannelModule()]),
        smtpModule(config.smtp.urls.length > 0 ? { urls: config.smtp.urls } : { embeddedPort: config.inboxSmtpPort, limits: config.inboxLimits }),
        emailTemplatesModule(),
        ...recipientCap,
        notifierModule(),
        // After the sweeper, so it stops before it: the sweeper renews the leases of deliveries still draining.
        retrySweeperModule(),
        webhookDeliveryModule(),
        relayModule(),
        ...(limit ? [orderRateLimitModule(limit, config.databaseUrl !== undefined)] : []),
        httpModule(),
      ];
    case 'migrate':
      return [...core, postgresModule({ url: databaseUrl })];
    case 'dlq-replay':
      return [...core, postgresModule({ url: databaseUrl }), kafkaProducerModule(brokers), dlqReplayModule(options.orderId)];
  }
}

export interface RoleOptions {
  /** dlq-replay: only this order's dead letters. */
  readonly orderId?: string;
}

export interface RunningRole {
  readonly container: Container;
  readonly services: readonly Service[];
  /** Runs the role's one-shot task, if it has one; resolves with whether it had one. */
  runTask(): Promise<boolean>;
  /** Stops the services in reverse order, telling each the `deadline` (a Date.now() time) to be stopped by, then releases the resources. */
  stop(deadline?: number): Promise<void>;
}

/** Builds the container for a role and starts its services in order; stops them in reverse. */
export async function startRole(role: Role, config: Config, logger: Logger, options: RoleOptions = {}): Promise<RunningRole> {
  for (const warning of startupWarnings(role, config)) logger.warn(warning);
  const container = new Container({ defaultScope: 'Singleton' });
  await container.loadAsync(...modulesFor(role, config, logger, options));
  // Compiled before anything else: a broken template stops start-up (ConfigError, exit 2), not the first email.
  if (container.isBound(T.EmailTemplates)) await container.getAsync(T.EmailTemplates);
  // Resolving the pool applies the migrations (all that --role=migrate does).
  if (container.isBound(T.Database)) await container.getAsync(T.Database);
  const services = container.isBound(T.Service) ? await container.getAllAsync<Service>(T.Service) : [];
  const started: Service[] = [];
  const stop = async (deadline = Date.now() + config.shutdownTimeoutMs): Promise<void> => {
    for (const service of [...started].reverse()) {
      try {
        await service.stop(deadline);
      } catch (error) {
        logger.error('service did not stop cleanly', { service: service.name, error: String(error) });
      }
    }
    await container.unbindAllAsync();
  };
  try {
    for (const service of services) {
      await service.start();
      started.push(service);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const runTask = async (): Promise<boolean> => {
    if (!container.isBound(T.Task)) return false;
    const task = await container.getAsync<Task>(T.Task);
    await task.run();
    return true;
  };
  return { container, services, runTask, stop };
}
