import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, ROLES, type Role } from './bootstrap/config.js';
import { createLogger } from './bootstrap/logger.js';
import { startRole } from './bootstrap/roles.js';

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
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`ordermail: ${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ level: config.logLevel, service: config.serviceName, role });
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

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline passed, exiting', { timeoutMs: config.shutdownTimeoutMs });
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    running.stop().then(
      () => {
        logger.info('stopped');
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

void main();
