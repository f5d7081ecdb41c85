import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, ROLES, type Config, type Role } from './bootstrap/config.js';
import { HttpServerService } from './bootstrap/http-server-service.js';
import type { Service } from './bootstrap/tokens.js';
import { createLogger } from './bootstrap/logger.js';

const USAGE = `usage: node dist/main.js --role=<${ROLES.join('|')}> [--order-id=ID (dlq-replay)]`;

function parseArguments(argv: string[]): { role: Role; orderId?: string } {
  const { values } = parseArgs({ args: argv, options: { role: { type: 'string' }, 'order-id': { type: 'string' } }, strict: true });
  if (!values.role || !(ROLES as readonly string[]).includes(values.role)) throw new Error(`unknown or missing --role`);
  if (values['order-id'] !== undefined && values.role !== 'dlq-replay') throw new Error('--order-id applies to --role=dlq-replay only');
  return { role: values.role as Role, ...(values['order-id'] !== undefined ? { orderId: values['order-id'] } : {}) };
}

async function main(): Promise<void> {
  let role: Role;
  let orderId: string | undefined;
  try {
    ({ role, orderId } = parseArguments(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  let config: Config;
  try {
    config = loadConfig(undefined, role);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`ordermail: ${error.message}\n`);
    process.exit(2);
  }
  // Printed at start-up only when made up here: a token the operator configured never reaches a terminal or a log.
  const generatedAdminToken = role === 'all' && !config.adminToken ? randomBytes(18).toString('base64url') : undefined;
  if (generatedAdminToken) config = { ...config, adminToken: generatedAdminToken };
  const logger = createLogger({ level: config.logLevel, service: config.serviceName, role });
  // Loaded after the arguments and the configuration are checked: a usage or configuration error answers at once.
  const { startRole } = await import('./bootstrap/roles.js');
  const running = await startRole(role, config, logger, orderId === undefined ? {} : { orderId }).catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`ordermail: ${error.message}\n`);
      process.exit(2);
    }
    logger.error('start-up failed', { error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
  if (role === 'migrate' || role === 'dlq-replay') {
    const failed = await running.runTask().then(
      () => false,
      (error: unknown) => {
        logger.error(`${role} failed`, { error: error instanceof Error ? error.message : String(error) });
        return true;
      },
    );
    await running.stop();
    logger.info(`${role} done`);
    process.exitCode = failed ? 1 : 0;
    return;
  }
  logger.info('started', { pid: process.pid });
  if (role === 'all') printWelcome(config, running.services, generatedAdminToken);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      logger.warn('second signal: exiting without finishing the shutdown', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('stopping', { signal, timeoutMs: config.shutdownTimeoutMs, httpDrainMs: config.httpDrainMs });
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline passed, exiting', { timeoutMs: config.shutdownTimeoutMs });
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    // The services get nine tenths of the deadline; the last tenth closes the Kafka and PostgreSQL clients.
    running.stop(Date.now() + config.shutdownTimeoutMs * 0.9).then(
      () => {
        logger.info('stopped');
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error('shutdown failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** The single-process mode tells a person where to look (on stderr: stdout stays one JSON object per line). */
function printWelcome(config: Config, services: readonly Service[], generatedAdminToken: string | undefined): void {
  const http = services.find((s): s is HttpServerService => s instanceof HttpServerService && s.name === 'http');
  const base = `http://localhost:${http?.port ?? config.port}`;
  const token = generatedAdminToken === undefined ? '<your ADMIN_TOKEN>' : encodeURIComponent(generatedAdminToken);
  const embedded = [!config.databaseUrl && `PostgreSQL: embedded (PGlite) in ${config.dataDir}`, !config.kafka.brokers && 'events: in-process channel (no Kafka)', !config.smtp.url && 'SMTP: embedded inbox'].filter(Boolean);
  process.stderr.write(
    [
      '',
      'ordermail is running (api + relay + notifier in one process)',
      `  API:    ${base}/orders        try: curl -si ${base}/orders -H 'content-type: application/json' -d '{"orderId":"A-1","itemId":["sku-1"],"email":"you@example.com"}'`,
      `  admin:  ${base}/admin?token=${token}`,
      ...(config.smtp.url ? [] : [`  inbox:  ${base}/admin/inbox?token=${token}`]),
      `  health: ${base}/health   metrics: ${base}/metrics   OpenAPI: ${base}/openapi.json`,
      ...(embedded.length > 0 ? [`  embedded: ${embedded.join('; ')} — set DATABASE_URL, KAFKA_BROKERS, SMTP_URL to use real ones`] : []),
      '',
    ].join('\n'),
  );
}

void main();
