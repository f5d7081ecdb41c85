// DKIM keys for ordermail's email (`npm run dkim -- <command>`):
//   keygen [--type rsa|ed25519] [--bits 2048] [--domain D] [--selector S] [--out FILE]
//       a new key pair: the private key (to FILE, mode 0600, with --out), the DNS TXT record to publish, the settings
//   record [--domain D] [--selector S] [--key-file FILE]
//       the DNS TXT record of an existing key: FILE, or the configured DKIM_PRIVATE_KEY / DKIM_PRIVATE_KEY_FILE
// The domain and selector default to DKIM_DOMAIN and DKIM_SELECTOR (else MAIL_FROM's domain and "ordermail"),
// read from the environment and ./.env as ordermail reads them.
import { createPrivateKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DKIM_KEY_TYPES, dkimRecordName, dkimRecordValue, dkimZoneFileLine, generateDkimKey, MIN_RSA_BITS, type DkimKeyType, type DkimSettings } from '../src/adapters/smtp/dkim-key.js';
import { ConfigError, loadConfig, messageIdDomainOf, readEnvironment } from '../src/bootstrap/config.js';

const USAGE = `usage: npm run dkim -- keygen [--type ${DKIM_KEY_TYPES.join('|')}] [--bits ${MIN_RSA_BITS}] [--domain D] [--selector S] [--out FILE]
       npm run dkim -- record [--domain D] [--selector S] [--key-file FILE]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const { positionals, values } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: { type: { type: 'string' }, bits: { type: 'string' }, domain: { type: 'string' }, selector: { type: 'string' }, out: { type: 'string' }, 'key-file': { type: 'string' } },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
})();

const env = readEnvironment();
const DKIM_VARIABLES = ['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY', 'DKIM_PRIVATE_KEY_FILE'] as const;
const dkimEnv: Record<string, string | undefined> = Object.fromEntries(DKIM_VARIABLES.map((name) => [name, env[name]]));
const signer = {
  domainName: values.domain ?? dkimEnv.DKIM_DOMAIN ?? (env.MAIL_FROM ? messageIdDomainOf(env.MAIL_FROM) : undefined),
  keySelector: values.selector ?? dkimEnv.DKIM_SELECTOR ?? 'ordermail',
};

/** The settings ordermail checks, as loadConfig reads them (so a bad domain, selector or key is refused here as at start-up). */
function checked(overrides: Record<string, string | undefined>): DkimSettings {
  try {
    const dkim = loadConfig({ ...dkimEnv, ...overrides }).smtp.dkim;
    if (!dkim) return fail(`no key: set DKIM_PRIVATE_KEY or DKIM_PRIVATE_KEY_FILE, or say --key-file\n${USAGE}`);
    return dkim;
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.problems.join('\n'));
    throw error;
  }
}

function printRecord(dkim: { domainName: string; keySelector: string }, value: string, step = ''): void {
  process.stdout.write(
    [
      `# ${step}Publish this TXT record in the DNS of ${dkim.domainName}:`,
      `#   name:  ${dkimRecordName(dkim)}`,
      `#   value: ${value}`,
      '# as a zone-file line (the value cut into the strings of at most 255 characters DNS holds):',
      dkimZoneFileLine(dkim, value),
      '',
    ].join('\n'),
  );
}

const [command, ...rest] = positionals;
if (rest.length > 0) fail(`unexpected ${rest.join(' ')}\n${USAGE}`);
if (command === 'keygen') {
  const type = (values.type ?? 'rsa') as DkimKeyType;
  if (!DKIM_KEY_TYPES.includes(type)) fail(`--type must be one of ${DKIM_KEY_TYPES.join(', ')}`);
  const bits = Number(values.bits ?? MIN_RSA_BITS);
  if (values.bits !== undefined && (type !== 'rsa' || !Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > 8192)) fail(`--bits applies to rsa keys: ${MIN_RSA_BITS} to 8192`);
  const key = generateDkimKey(type, bits);
  // Checked as ordermail will check it at start-up, domain and selector included.
  const dkim = checked({ DKIM_DOMAIN: signer.domainName ?? fail('which domain signs? say --domain shop.example (or set DKIM_DOMAIN or MAIL_FROM)'), DKIM_SELECTOR: signer.keySelector, DKIM_PRIVATE_KEY: key.privateKeyPem, DKIM_PRIVATE_KEY_FILE: undefined });
  const title = `# A DKIM key pair for ${dkim.domainName}, selector ${dkim.keySelector}: ${type === 'rsa' ? `RSA, ${bits} bits` : 'Ed25519'}\n\n`;
  let keySetting: string;
  if (values.out !== undefined) {
    const file = resolve(values.out);
    try {
      writeFileSync(file, key.privateKeyPem, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      fail(`cannot write ${file}: ${(error as { code?: string }).code === 'EEXIST' ? 'it exists (a key is never overwritten)' : (error as Error).message}`);
    }
    process.stdout.write(`${title}# 1. The private key is in ${file} (readable by its owner only). Keep it out of git.\n\n`);
    keySetting = `DKIM_PRIVATE_KEY_FILE=${file}`;
  } else {
    process.stdout.write(`${title}# 1. The private key: keep it secret (a secret store, or a file only ordermail can read), never in git.\n${key.privateKeyPem}\n`);
    keySetting = 'DKIM_PRIVATE_KEY_FILE=<a file holding the private key above>   # or DKIM_PRIVATE_KEY="<the key above>"';
  }
  printRecord(dkim, dkimRecordValue(key.publicKey), '2. ');
  process.stdout.write(`\n# 3. Once the record resolves (dig +short TXT ${dkimRecordName(dkim)}), configure ordermail:\nDKIM_DOMAIN=${dkim.domainName}\nDKIM_SELECTOR=${dkim.keySelector}\n${keySetting}\n`);
  if (type === 'ed25519') process.stdout.write('\n# Ed25519 signatures are ignored by receivers that verify RSA only (several large mailbox providers): see README, "DKIM".\n');
} else if (command === 'record') {
  const keyFile = values['key-file'];
  const dkim = checked({
    ...(signer.domainName === undefined ? {} : { DKIM_DOMAIN: signer.domainName }),
    DKIM_SELECTOR: signer.keySelector,
    ...(keyFile === undefined ? {} : { DKIM_PRIVATE_KEY_FILE: keyFile, DKIM_PRIVATE_KEY: undefined }),
  });
  printRecord(dkim, dkimRecordValue(createPrivateKey(dkim.privateKey)));
} else {
  fail(USAGE);
}
