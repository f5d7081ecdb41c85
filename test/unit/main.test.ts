import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function run(args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string } {
  // From the build when `npm test` made one (ORDERMAIL_TEST_ENTRY=dist), else from the source through tsx.
  const entry = process.env.ORDERMAIL_TEST_ENTRY === 'dist' ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  const result = spawnSync(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ORDERMAIL_ENV_FILE: '/nonexistent', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('node dist/main.js', () => {
  it('prints usage and exits 2 without --role', () => {
    const { status, stderr } = run([]);
    expect(status).to.equal(2);
    expect(stderr).to.match(/usage: node dist\/main.js --role=<all\|api\|relay\|notifier\|migrate\|dlq-replay>/);
  });

  it('prints usage and exits 2 for an unknown role', () => {
    const { status, stderr } = run(['--role=bogus']);
    expect(status).to.equal(2);
    expect(stderr).to.contain('unknown or missing --role');
  });

  it('exits 2 naming each bad variable', () => {
    const { status, stderr } = run(['--role=api'], { PORT: 'abc', DATABASE_URL: 'postgres://127.0.0.1/x', KAFKA_BROKERS: '127.0.0.1:9' });
    expect(status).to.equal(2);
    expect(stderr).to.contain('PORT: must be an integer from 0 to 65535 (got "abc")');
  });

  it('exits 2 when two SMTP providers are one host:port, naming it but not the password', () => {
    const { status, stderr } = run(['--role=notifier'], { SMTP_URL: 'smtp://u:hunter2@127.0.0.1:2525', SMTP_FALLBACK_URL: 'smtp://127.0.0.1:2525', DATABASE_URL: 'postgres://127.0.0.1/x', KAFKA_BROKERS: '127.0.0.1:9' });
    expect(status).to.equal(2);
    expect(stderr).to.contain('SMTP_FALLBACK_URL: 127.0.0.1:2525 is listed twice');
    expect(stderr).not.to.contain('hunter2');
  });

  it('exits 2 on a DKIM key it cannot sign with, in one line that names the variable and never shows the key', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const { status, stderr } = run(['--role=notifier'], { DATABASE_URL: 'postgres://127.0.0.1/x', KAFKA_BROKERS: '127.0.0.1:9', SMTP_URL: 'smtp://127.0.0.1:9', DKIM_DOMAIN: 'shop.example', DKIM_SELECTOR: 'om2026', DKIM_PRIVATE_KEY: weak });
    expect(status).to.equal(2);
    expect(stderr).to.contain('DKIM_PRIVATE_KEY: is an RSA key of 1024 bits: DKIM needs at least 2048');
    expect(stderr).to.not.contain(weak.split('\n')[1]);
  });

  it('refuses to start a role without the services it needs, naming them', () => {
    const { status, stderr } = run(['--role=notifier']);
    expect(status).to.equal(2);
    expect(stderr).to.contain('DATABASE_URL: required by --role=notifier');
    expect(stderr).to.contain('SMTP_URL: required by --role=notifier');
  });

  it('refuses to start a notifier on a template that does not compile, naming its file and line, before it connects to anything', () => {
    const templates = mkdtempSync(join(tmpdir(), 'ordermail-templates-'));
    try {
      mkdirSync(join(templates, 'order-shipped'));
      writeFileSync(join(templates, 'order-shipped', 'de.subject.eta'), 'Bestellung {{= it.order.shortId }} ist\nunterwegs {{ if (it.change.carrier) { }');
      const { status, stderr } = run(['--role=notifier'], { DATABASE_URL: 'postgres://127.0.0.1:9/none', KAFKA_BROKERS: '127.0.0.1:9', SMTP_URL: 'smtp://127.0.0.1:9', TEMPLATES_DIR: templates });
      expect(status).to.equal(2);
      expect(stderr).to.contain(`email template: ${join(templates, 'order-shipped', 'de.subject.eta')}:2:11: unclosed tag`);
    } finally {
      rmSync(templates, { recursive: true, force: true });
    }
  });
});
