import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { dkimSigner } from '../../src/adapters/smtp/dkim-signing.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function dkim(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/dkim.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ORDERMAIL_ENV_FILE: '/nonexistent', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The TXT strings of the zone-file line the script printed, and the name it is published at. */
function zoneFileRecord(stdout: string): { name: string; strings: string[] } {
  const line = stdout.split('\n').find((l) => / IN TXT "/.test(l)) ?? '';
  return { name: line.split('. ')[0] ?? '', strings: [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1] as string) };
}

const MESSAGE = ['From: Shop <orders@shop.test>', 'To: ada@example.com', 'Subject: Order A-1 received', 'Date: Wed, 25 Nov 2026 10:00:00 +0000', 'Message-ID: <order-created-1@shop.test>', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Thank you for your order A-1.', ''].join('\r\n');

describe('npm run dkim', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'ordermail-dkim-script-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const type of ['rsa', 'ed25519'] as const)
    it(`keygen --type ${type}: the record it prints verifies what its key signs, and record --key-file prints the same`, async () => {
      const file = join(dir, `${type}.pem`);
      const generated = dkim(['keygen', '--type', type, '--domain', 'shop.test', '--selector', 'om2026', '--out', file]);
      expect(generated.status, generated.stderr).to.equal(0);
      expect(statSync(file).mode & 0o777, 'the key file is its owner’s only').to.equal(0o600);
      expect(generated.stdout).to.contain(`DKIM_DOMAIN=shop.test\nDKIM_SELECTOR=om2026\nDKIM_PRIVATE_KEY_FILE=${file}\n`);
      expect(generated.stdout, 'the key went to the file, not the terminal').to.not.contain('PRIVATE KEY-----');
      const record = zoneFileRecord(generated.stdout);
      expect(record.name).to.equal('om2026._domainkey.shop.test');
      expect(record.strings.every((s) => s.length <= 255)).to.equal(true);
      expect(record.strings.join('')).to.match(new RegExp(`^v=DKIM1; k=${type}; p=[A-Za-z0-9+/=]+$`));

      const again = dkim(['record', '--key-file', file, '--domain', 'shop.test', '--selector', 'om2026']);
      expect(again.status, again.stderr).to.equal(0);
      expect(zoneFileRecord(again.stdout)).to.deep.equal(record);

      const signed = (await dkimSigner({ domainName: 'shop.test', keySelector: 'om2026', privateKey: readFileSync(file, 'utf8') })(Buffer.from(MESSAGE))).toString();
      const resolver = async (name: string, rrtype: string) => {
        if (name === record.name && rrtype === 'TXT') return [record.strings];
        throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      };
      const [result] = (await dkimVerify(Buffer.from(signed), { resolver })).results;
      expect(result?.status.result, result?.info).to.equal('pass');
    });

  it('keygen prints the key on the terminal without --out, and never overwrites a key file', () => {
    const printed = dkim(['keygen', '--domain', 'shop.test']);
    expect(printed.status, printed.stderr).to.equal(0);
    expect(printed.stdout).to.contain('-----BEGIN PRIVATE KEY-----');
    expect(zoneFileRecord(printed.stdout).name, 'selector "ordermail" unless told').to.equal('ordermail._domainkey.shop.test');
    const file = join(dir, 'kept.pem');
    expect(dkim(['keygen', '--domain', 'shop.test', '--out', file]).status).to.equal(0);
    const second = dkim(['keygen', '--domain', 'shop.test', '--out', file]);
    expect(second.status).to.equal(2);
    expect(second.stderr).to.contain('it exists (a key is never overwritten)');
  });

  it('takes the domain from MAIL_FROM, and refuses what ordermail would refuse, exiting 2', () => {
    expect(zoneFileRecord(dkim(['keygen', '--type', 'ed25519'], { MAIL_FROM: 'Shop <orders@mail.shop.test>' }).stdout).name).to.equal('ordermail._domainkey.mail.shop.test');
    const weak = dkim(['keygen', '--bits', '1024', '--domain', 'shop.test']);
    expect(weak).to.include({ status: 2 });
    expect(weak.stderr).to.contain('--bits applies to rsa keys: 2048 to 8192');
    const badSelector = dkim(['keygen', '--domain', 'shop.test', '--selector', 'om_2026']);
    expect(badSelector).to.include({ status: 2 });
    expect(badSelector.stderr).to.contain('DKIM_SELECTOR: must be letters, digits and hyphens');
    const noKey = dkim(['record', '--domain', 'shop.test']);
    expect(noKey).to.include({ status: 2 });
    expect(noKey.stderr).to.contain('DKIM_PRIVATE_KEY: required');
  });
});
