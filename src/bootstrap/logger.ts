import winston from 'winston';
import type TransportStream from 'winston-transport';
import type { LogFields, Logger } from '../application/ports/logger.js';
import type { LogLevel } from './config.js';

const MESSAGE = Symbol.for('message');
/** winston's (npm) levels: a smaller number is more severe. */
const SEVERITY: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 5 };

/** One JSON object per line: level, msg, time, service, role, then the fields of the call. */
export function createLogger(options: { level: LogLevel; service: string; role: string; stream?: NodeJS.WritableStream }): Logger {
  const base = winston.createLogger({
    level: options.level,
    defaultMeta: { service: options.service, role: options.role },
    format: jsonLine(),
    transports: [new LineTransport(options.stream ?? process.stdout)],
  });
  return new WinstonLogger(base, SEVERITY[options.level]);
}

/**
 * What `combine(errors({ stack: true }), …)` wrote, as one format: the clock read as an ISO string at most once per
 * millisecond, and the errors step only for what it acts on (an Error handed to winston itself; ours hand over fields).
 */
function jsonLine(): winston.Logform.Format {
  const errors = winston.format.errors({ stack: true });
  const clock = { ms: Number.NaN, iso: '' };
  return winston.format((given) => {
    const info = given instanceof Error || given.message instanceof Error ? (errors.transform(given, errors.options) as winston.Logform.TransformableInfo) : given;
    const ms = Date.now();
    if (ms !== clock.ms) {
      clock.ms = ms;
      clock.iso = new Date(ms).toISOString();
    }
    const { level, message, service, role, ...rest } = info;
    for (const key in rest) if (rest[key] instanceof Error) rest[key] = errorFields(rest[key]);
    info[MESSAGE] = JSON.stringify({ level, msg: message, time: clock.iso, service, role, ...rest });
    return info;
  })();
}

/**
 * An Error in a field (kafkajs hands its consumer's failures over as `error`) as what it says: JSON.stringify
 * would write `{}`, and the line would not say why a batch failed.
 */
function errorFields(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return { ...(error.name === 'Error' ? {} : { name: error.name }), message: error.message, ...(code === undefined ? {} : { code }) };
}

/** winston's transport base class (winston-transport, which winston brings): exported as `Transport`, typed as `transport`. */
const Transport = (winston as unknown as { Transport: typeof TransportStream }).Transport;

/** Writes each formatted line to a stream: the Console transport's work without its per-line 'logged' event. */
class LineTransport extends Transport {
  constructor(private readonly out: NodeJS.WritableStream) {
    super();
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.out.write(`${info[MESSAGE] as string}\n`);
    next();
  }
}

class WinstonLogger implements Logger {
  constructor(
    private readonly target: winston.Logger,
    /** The least severe level written: a line below it is dropped before winston builds anything. */
    private readonly threshold: number,
  ) {}
  debug(msg: string, fields?: LogFields): void {
    if (this.threshold >= SEVERITY.debug) this.target.debug(msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    if (this.threshold >= SEVERITY.info) this.target.info(msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    if (this.threshold >= SEVERITY.warn) this.target.warn(msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.target.error(msg, fields);
  }
  child(fields: LogFields): Logger {
    return new WinstonLogger(this.target.child(fields), this.threshold);
  }
}
