// Renders the emails of a sample order with the templates the notifier would use (the built-in ones, with
// TEMPLATES_DIR's in their place, and the SHOP_* brand, from the environment or .env), and writes each one's
// HTML and text: `npm run preview -- order-created --lang de [--out preview]`; without a kind, every kind.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PreviewEmail } from '../src/application/preview-email.js';
import { DomainError } from '../src/domain/errors.js';
import { canonicalLocale, LOCALE_RULES } from '../src/domain/locale.js';
import { isNotificationKind, NOTIFICATION_KINDS, type NotificationKind } from '../src/domain/notification.js';
import { ConfigError, loadConfig } from '../src/bootstrap/config.js';
import { loadEmailTemplates } from '../src/bootstrap/modules/email-templates-module.js';

const USAGE = `usage: npm run preview -- [${NOTIFICATION_KINDS.join('|')}] [--lang <BCP 47 tag, e.g. de-DE>] [--out <directory, default preview>]`;

function fail(message: string, exitCode = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(exitCode);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({ options: { lang: { type: 'string' }, out: { type: 'string', default: 'preview' }, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
}
try {
  args = parse();
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
if (args.values.help) fail(USAGE, 0);
const unknown = args.positionals.filter((kind) => !isNotificationKind(kind));
if (unknown.length > 0) fail(`not a notification kind: ${unknown.join(', ')}\n${USAGE}`);
if (args.values.lang !== undefined && canonicalLocale(args.values.lang) === undefined) fail(`--lang ${args.values.lang}: ${LOCALE_RULES.message}\n${USAGE}`);
const kinds = (args.positionals.length > 0 ? args.positionals : NOTIFICATION_KINDS) as readonly NotificationKind[];

try {
  const config = loadConfig();
  const preview = new PreviewEmail(await loadEmailTemplates(config));
  const out = resolve(args.values.out);
  mkdirSync(out, { recursive: true });
  for (const kind of kinds) {
    const email = preview.execute(kind, args.values.lang);
    const name = `${kind}.${email.locale ?? config.emails.defaultLocale}`;
    writeFileSync(join(out, `${name}.html`), email.html);
    writeFileSync(join(out, `${name}.txt`), `Subject: ${email.subject}\nContent-Language: ${email.language}\n\n${email.text}\n`);
    process.stdout.write(`${kind}: "${email.subject}" (written in ${email.language})\n  ${join(out, `${name}.html`)}\n  ${join(out, `${name}.txt`)}\n`);
  }
} catch (error) {
  if (error instanceof ConfigError) fail(`ordermail: ${error.message}`);
  // A template that fails on the sample order (EmailRenderError): the notifier would dead-letter such orders.
  if (error instanceof DomainError) fail(`ordermail: ${error.message}`, 1);
  throw error;
}
