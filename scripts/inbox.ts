// A local SMTP server for the real stack (`npm run inbox`): accepts every email and prints it. Port: INBOX_SMTP_PORT (2525).
import { SmtpTestServer } from '../test/support/smtp-test-server.js';

const server = await SmtpTestServer.start(Number(process.env.INBOX_SMTP_PORT ?? 2525));
process.stdout.write(`inbox listening on ${server.url}\n`);
let shown = 0;
setInterval(() => {
  for (const message of server.messages.slice(shown)) {
    process.stdout.write(`${message.acceptedAt.toISOString()}  to ${message.to.join(', ')}  "${message.subject}"  ${message.messageId}  correlation ${message.headers['x-correlation-id'] ?? '-'}\n`);
  }
  shown = server.messages.length;
}, 100);
const stop = (): void => void server.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
