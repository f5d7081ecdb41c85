import { expect } from 'chai';
import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from '../../src/application/ports/logger.js';
import { createLogger } from '../../src/bootstrap/logger.js';

/** The lines a logger writes, as text, each with its time (an ISO instant) replaced by TIME. */
function writtenLines(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(line.replace(/"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/, '"time":"TIME"'));
      }
      done();
    },
  });
  return { stream, lines };
}

/** The logger as ordermail configured winston before its format was made cheap: the shape every line must keep. */
function previousLogger(level: 'debug' | 'info', stream: Writable): winston.Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service: 'ordermail', role: 'api' },
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      winston.format((info) => {
        const { level, message, service, role, ...rest } = info;
        return Object.assign(info, { [Symbol.for('message')]: JSON.stringify({ level, msg: message, time: new Date().toISOString(), service, role, ...rest }) });
      })(),
    ),
    transports: [new winston.transports.Stream({ stream })],
  });
}

const flushed = () => new Promise((resolve) => setImmediate(resolve));

describe('Logger (JSON lines)', () => {
  it('writes the access line as level, msg, time, service, role, the child fields, then the fields of the call', async () => {
    const { stream, lines } = writtenLines();
    const logger = createLogger({ level: 'info', service: 'ordermail', role: 'api', stream });
    logger.child({ correlationId: 'c-1' }).info('http request', { method: 'POST', path: '/orders', status: 202, durationMs: 1.3, orderId: 'o-1' });
    await flushed();
    expect(lines).to.deep.equal(['{"level":"info","msg":"http request","time":"TIME","service":"ordermail","role":"api","correlationId":"c-1","method":"POST","path":"/orders","status":202,"durationMs":1.3,"orderId":"o-1"}']);
  });

  it('writes nothing below its level, and everything at or above it', async () => {
    const { stream, lines } = writtenLines();
    const logger = createLogger({ level: 'warn', service: 'ordermail', role: 'notifier', stream });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.child({ orderId: 'o-1' }).info('child i');
    logger.child({ orderId: 'o-1' }).error('child e');
    await flushed();
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).to.deep.equal(['w', 'e', 'child e']);
  });

  it('writes an Error in a field as its name, message and code, not as {} (a kafkajs consumer failure)', async () => {
    const { stream, lines } = writtenLines();
    const logger = createLogger({ level: 'info', service: 'ordermail', role: 'notifier', stream });
    const refused = Object.assign(new TypeError('timeout exceeded when trying to connect'), { code: 'ETIMEDOUT' });
    logger.error('Error when calling eachBatch', { topic: 'orders', error: refused });
    logger.warn('plain', { error: new Error('boom') });
    await flushed();
    expect(JSON.parse(lines[0] as string)).to.deep.include({ topic: 'orders', error: { name: 'TypeError', message: 'timeout exceeded when trying to connect', code: 'ETIMEDOUT' } });
    expect(JSON.parse(lines[1] as string)).to.deep.include({ error: { message: 'boom' } });
  });

  it('writes every line exactly as the previous winston format did', async () => {
    const error = new Error('boom');
    const calls: [string, (logger: Logger) => void][] = [
      ['no fields', (logger) => logger.info('started')],
      ['fields in their order', (logger) => logger.warn('email failed, retry scheduled', { kind: 'transient', responseCode: 421, error: 'try later', attempt: 2, retryInMs: 1500 })],
      ['an undefined field is left out', (logger) => logger.warn('email failed', { kind: 'unavailable', responseCode: undefined })],
      ['a stack as text', (logger) => logger.error('shutdown failed', { error: error.stack })],
      // An Error value is the one deliberate difference: the previous format wrote it as {} (its own test above).
      ['nested values, null, unicode', (logger) => logger.info('emails fail over', { from: 'a:25', to: null, label: 'fallback-1', items: ['ä', 1, { x: true }] })],
      ['a field named message is appended to msg', (logger) => logger.info('said', { message: 'more' })],
      ['fields named msg and time keep their place', (logger) => logger.info('odd', { msg: 'other', time: 'then' })],
      ['a field overriding a child field keeps the child field’s place', (logger) => logger.child({ orderId: 'o-1', correlationId: 'c-1' }).info('x', { correlationId: 'c-2', extra: 1 })],
      ['children of children', (logger) => logger.child({ orderId: 'o-1' }).child({ notificationKind: 'order-created' }).warn('y', { attempt: 1 })],
      ['a printf token in msg', (logger) => logger.info('100% %s done', { orderId: 'o-1' })],
      ['debug', (logger) => logger.debug('claimed', { orderId: 'o-1' })],
    ];
    for (const [name, call] of calls) {
      const now = writtenLines();
      const before = writtenLines();
      call(createLogger({ level: 'debug', service: 'ordermail', role: 'api', stream: now.stream }));
      const previous = previousLogger('debug', before.stream);
      call({
        debug: (msg, fields) => previous.debug(msg, fields),
        info: (msg, fields) => previous.info(msg, fields),
        warn: (msg, fields) => previous.warn(msg, fields),
        error: (msg, fields) => previous.error(msg, fields),
        child: (fields) => wrap(previous.child(fields)),
      });
      await flushed();
      expect(now.lines, name).to.have.length(1);
      expect(now.lines, name).to.deep.equal(before.lines);
    }
  });
});

function wrap(target: winston.Logger): Logger {
  return {
    debug: (msg, fields) => target.debug(msg, fields),
    info: (msg, fields) => target.info(msg, fields),
    warn: (msg, fields) => target.warn(msg, fields),
    error: (msg, fields) => target.error(msg, fields),
    child: (fields) => wrap(target.child(fields)),
  };
}
