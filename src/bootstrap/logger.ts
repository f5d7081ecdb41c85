import winston from 'winston';
import type { LogFields, Logger } from '../application/ports/logger.js';
import type { LogLevel } from './config.js';

/** One JSON object per line: level, msg, time, service, role, then the fields of the call. */
export function createLogger(options: { level: LogLevel; service: string; role: string; stream?: NodeJS.WritableStream }): Logger {
  const base = winston.createLogger({
    level: options.level,
    defaultMeta: { service: options.service, role: options.role },
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      winston.format((info) => {
        const { level, message, service, role, ...rest } = info;
        return Object.assign(info, { [Symbol.for('message')]: JSON.stringify({ level, msg: message, time: new Date().toISOString(), service, role, ...rest }) });
      })(),
    ),
    transports: [options.stream ? new winston.transports.Stream({ stream: options.stream }) : new winston.transports.Console()],
  });
  return new WinstonLogger(base);
}

class WinstonLogger implements Logger {
  constructor(private readonly target: winston.Logger) {}
  debug(msg: string, fields?: LogFields): void {
    this.target.debug(msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.target.info(msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.target.warn(msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.target.error(msg, fields);
  }
  child(fields: LogFields): Logger {
    return new WinstonLogger(this.target.child(fields));
  }
}
