import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, ROLES, type Role } from './bootstrap/config.js';
import { createLogger } from './bootstrap/logger.js';
import { startRole } from './bootstrap/roles.js';

const USAGE = `usage: node dist/main.js --role=<${ROLES.join('|')}>`;

function parseRole(argv: string[]): Role {
  const { values } = parseArgs({ args: argv, options: { role: { type: 'string' } }, strict: true });
  if (!values.role || !(ROLES as readonly string[]).includes(values.role)) throw new Error(`unknown or missing --role`);
  return values.role as Role;
}

async function main(): Promise<void> {
  let role: Role;
  try {
    role = parseRole(process.argv.slice(2));
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
  const running = await startRole(role, config, logger).catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`ordermail: ${error.message}\n`);
      process.exit(2);
    }
    logger.error('start-up failed', { error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
  if (role === 'migrate') {
    await running.stop();
    logger.info('migrations applied');
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
