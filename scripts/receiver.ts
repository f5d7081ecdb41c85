// A local webhook receiver for development (`npm run receiver`): verifies, deduplicates and prints each delivery.
// Port: RECEIVER_PORT (4400). Secrets: --secret whsec_… (repeatable), WEBHOOK_SECRET, or handed over by the admin
// page's one-click registration (POST /secrets from this machine). --fail-for <seconds> answers 503 that long first.
import { parseArgs } from 'node:util';
import { usableSecret, WebhookReceiver } from './webhook-receiver.js';

const { values } = parseArgs({
  options: {
    secret: { type: 'string', multiple: true },
    'fail-for': { type: 'string' },
  },
});
const failForSeconds = Number(values['fail-for'] ?? 0);
if (!Number.isFinite(failForSeconds) || failForSeconds < 0) {
  process.stderr.write('--fail-for takes a number of seconds\n');
  process.exit(2);
}
const secrets: Record<string, string> = {};
(values.secret ?? []).forEach((secret, index) => (secrets[`--secret #${index + 1}`] = secret));
if (process.env.WEBHOOK_SECRET) secrets.WEBHOOK_SECRET = process.env.WEBHOOK_SECRET;
for (const [source, secret] of Object.entries(secrets)) {
  if (!usableSecret(secret)) {
    process.stderr.write(`${source} is not a webhook secret (whsec_ and base64, as the admin API shows it)\n`);
    process.exit(2);
  }
}

const receiver = await WebhookReceiver.start({
  port: Number(process.env.RECEIVER_PORT ?? 4400),
  secrets,
  failForMs: failForSeconds * 1000,
  print: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(
  `receiver listening on ${receiver.url} (${receiver.secrets.size === 0 ? 'no secret yet: register it from the admin page, or pass --secret' : `${receiver.secrets.size} secret(s)`})` +
    `${failForSeconds > 0 ? `, answering 503 for ${failForSeconds} s` : ''}\n`,
);
const stop = (): void => void receiver.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
