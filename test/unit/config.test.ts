import { expect } from 'chai';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, smtpProviderName } from '../../src/bootstrap/config.js';
import { checkRequirements, startupWarnings } from '../../src/bootstrap/roles.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({});
    expect(config.port).to.equal(3000);
    expect(config.logLevel).to.equal('info');
    expect(config.kafka).to.deep.include({ topic: 'order-created', deadLetterTopic: 'order-created.dlq', partitions: 6, replicationFactor: 1, groupId: 'ordermail-notifier' });
    expect(config.notifier).to.deep.include({ maxRetries: 5, retryBaseMs: 1000, opsPort: 9464, maxPerRecipientPerHour: 20 });
    expect(config.databaseUrl).to.equal(undefined);
  });

  it('caps emails per recipient per hour at NOTIFY_MAX_PER_RECIPIENT_PER_HOUR; 0 turns the cap off', () => {
    expect(loadConfig({ NOTIFY_MAX_PER_RECIPIENT_PER_HOUR: '5' }).notifier.maxPerRecipientPerHour).to.equal(5);
    expect(loadConfig({ NOTIFY_MAX_PER_RECIPIENT_PER_HOUR: '0' }).notifier.maxPerRecipientPerHour).to.equal(0);
    expect(() => loadConfig({ NOTIFY_MAX_PER_RECIPIENT_PER_HOUR: '-1' })).to.throw(ConfigError, 'NOTIFY_MAX_PER_RECIPIENT_PER_HOUR: must be an integer');
  });

  it('reads every variable it documents', () => {
    const config = loadConfig({ PORT: '8080', DATABASE_URL: 'postgres://u@h/db', KAFKA_BROKERS: 'a:9092, b:9093', KAFKA_TOPIC: 'orders', SMTP_URL: 'smtps://u:p@smtp.example.com:465', SMTP_RATE_LIMIT: '2.5', NOTIFY_DEFAULT_TO: 'ops@example.com' });
    expect(config.port).to.equal(8080);
    expect(config.kafka.brokers).to.deep.equal(['a:9092', 'b:9093']);
    expect(config.kafka.deadLetterTopic).to.equal('orders.dlq');
    expect(config.smtp).to.deep.include({ url: 'smtps://u:p@smtp.example.com:465', rateLimit: 2.5, defaultTo: 'ops@example.com' });
  });

  describe('SMTP providers', () => {
    it('reads SMTP_URL as an ordered list and appends SMTP_FALLBACK_URL; url is the first', () => {
      const { smtp } = loadConfig({ SMTP_URL: 'smtp://a:p@mail-a.example.com:587, smtps://mail-b.example.com', SMTP_FALLBACK_URL: 'smtp://u:secret@10.0.0.9:2525' });
      expect(smtp.urls).to.deep.equal(['smtp://a:p@mail-a.example.com:587', 'smtps://mail-b.example.com', 'smtp://u:secret@10.0.0.9:2525']);
      expect(smtp.url).to.equal('smtp://a:p@mail-a.example.com:587');
      expect(loadConfig({ SMTP_URL: 'smtp://one.example.com:25' }).smtp).to.deep.include({ url: 'smtp://one.example.com:25', urls: ['smtp://one.example.com:25'] });
      expect(loadConfig({}).smtp.urls).to.deep.equal([]);
    });

    it('names a provider by host:port, the port nodemailer would use when none is written, never by its credentials', () => {
      expect(smtpProviderName('smtp://user:p%40ss@Mail.Example.com:2525')).to.equal('mail.example.com:2525');
      expect(smtpProviderName('smtp://mail.example.com')).to.equal('mail.example.com:587');
      expect(smtpProviderName('smtps://u:p@mail.example.com')).to.equal('mail.example.com:465');
      expect(smtpProviderName('smtp://[::1]:25')).to.equal('[::1]:25');
      for (const bad of ['http://mail.example.com', 'mail.example.com:25', 'smtp://']) expect(smtpProviderName(bad), bad).to.equal(undefined);
    });

    it('refuses an entry that is not an smtp(s) URL, a fallback without SMTP_URL, and one host:port listed twice (exit 2)', () => {
      expect(() => loadConfig({ SMTP_URL: 'smtp://a.example.com:25, mail.example.com:25' })).to.throw(ConfigError, 'SMTP_URL: must be smtp://user:pass@host:587 or smtps://');
      expect(() => loadConfig({ SMTP_FALLBACK_URL: 'smtp://b.example.com:25' })).to.throw(ConfigError, 'SMTP_FALLBACK_URL: needs SMTP_URL');
      expect(() => loadConfig({ SMTP_URL: 'smtp://a.example.com:25,smtp://u:other@A.example.com:25' })).to.throw(ConfigError, 'SMTP_URL: a.example.com:25 is listed twice');
      expect(() => loadConfig({ SMTP_URL: 'smtp://a.example.com', SMTP_FALLBACK_URL: 'smtp://x:y@a.example.com:587' })).to.throw(ConfigError, 'SMTP_FALLBACK_URL: a.example.com:587 is listed twice');
      expect(() => loadConfig({ SMTP_URL: 'smtp://a.example.com:25', SMTP_FALLBACK_URL: 'smtp://a.example.com:2525' })).to.not.throw();
    });
  });

  it('reports every bad variable at once, one line each', () => {
    let thrown: unknown;
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', KAFKA_BROKERS: 'nohost', SMTP_RATE_LIMIT: '-1' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(ConfigError);
    const problems = (thrown as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0])).to.deep.equal(['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'KAFKA_BROKERS', 'SMTP_RATE_LIMIT']);
    expect(problems[0]).to.contain('"abc"');
  });

  it('drains HTTP for half of the shutdown deadline unless told otherwise, and never for all of it', () => {
    expect(loadConfig({})).to.deep.include({ shutdownTimeoutMs: 10_000, httpDrainMs: 5000 });
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '30000', SHUTDOWN_HTTP_DRAIN_MS: '20000' })).to.deep.include({ shutdownTimeoutMs: 30_000, httpDrainMs: 20_000 });
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '10000', SHUTDOWN_HTTP_DRAIN_MS: '10000' })).to.throw(ConfigError, 'SHUTDOWN_HTTP_DRAIN_MS: must be an integer from 0 to 9999');
  });

  describe('webhooks', () => {
    it('allows no insecure endpoint, waits 10 s for a delivery, lets a rotated secret sign 24 h more and finds the receiver on 4400, by default', () => {
      expect(loadConfig({}).webhooks).to.deep.equal({ allowInsecure: false, timeoutMs: 10_000, secretGraceMs: 86_400_000, receiverPort: 4400 });
    });

    it('reads WEBHOOK_ALLOW_INSECURE, WEBHOOK_TIMEOUT_MS, WEBHOOK_SECRET_GRACE_MS and RECEIVER_PORT', () => {
      const config = loadConfig({ WEBHOOK_ALLOW_INSECURE: 'true', WEBHOOK_TIMEOUT_MS: '2500', WEBHOOK_SECRET_GRACE_MS: '0', RECEIVER_PORT: '4401' });
      expect(config.webhooks).to.deep.equal({ allowInsecure: true, timeoutMs: 2500, secretGraceMs: 0, receiverPort: 4401 });
    });

    it('refuses values out of range, one line each', () => {
      let thrown: unknown;
      try {
        loadConfig({ WEBHOOK_ALLOW_INSECURE: 'maybe', WEBHOOK_TIMEOUT_MS: '0', WEBHOOK_SECRET_GRACE_MS: '-1', RECEIVER_PORT: '70000' });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(ConfigError);
      expect((thrown as ConfigError).problems.map((p) => p.split(':')[0])).to.deep.equal(['WEBHOOK_ALLOW_INSECURE', 'WEBHOOK_TIMEOUT_MS', 'WEBHOOK_SECRET_GRACE_MS', 'RECEIVER_PORT']);
    });
  });

  describe('emails', () => {
    it('uses the built-in templates in en, the UTC time zone and the ordermail brand by default', () => {
      expect(loadConfig({}).emails).to.deep.equal({ defaultLocale: 'en', timeZone: 'UTC', shop: { name: 'ordermail', brandColor: '#2b6cb0' } });
    });

    it('reads TEMPLATES_DIR, DEFAULT_LOCALE (canonical), SHOP_TIME_ZONE and the brand', () => {
      const config = loadConfig({
        TEMPLATES_DIR: './my-templates',
        DEFAULT_LOCALE: 'de-de',
        SHOP_TIME_ZONE: 'Europe/Berlin',
        SHOP_NAME: 'Kaffeehaus Müller',
        SHOP_LOGO_URL: 'https://cdn.kaffee.example/logo.png',
        SHOP_SUPPORT_EMAIL: 'hilfe@kaffee.example',
        SHOP_BRAND_COLOR: '#8B4513',
      });
      expect(config.emails).to.deep.equal({
        templatesDir: './my-templates',
        defaultLocale: 'de-DE',
        timeZone: 'Europe/Berlin',
        shop: { name: 'Kaffeehaus Müller', logoUrl: 'https://cdn.kaffee.example/logo.png', supportEmail: 'hilfe@kaffee.example', brandColor: '#8B4513' },
      });
    });

    it('refuses a locale, time zone, logo URL, support address or colour it cannot use, one line each', () => {
      let thrown: unknown;
      try {
        loadConfig({ DEFAULT_LOCALE: 'german', SHOP_TIME_ZONE: 'Mars/Olympus', SHOP_LOGO_URL: 'http://cdn.example/logo.png', SHOP_SUPPORT_EMAIL: 'help', SHOP_BRAND_COLOR: 'brown' });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(ConfigError);
      expect((thrown as ConfigError).problems).to.deep.equal([
        'DEFAULT_LOCALE: must be a BCP 47 language tag such as de or de-DE (got "german")',
        'SHOP_TIME_ZONE: must be an IANA time zone such as UTC or Europe/Berlin (got "Mars/Olympus")',
        'SHOP_LOGO_URL: must be an https:// URL of at most 2048 characters',
        'SHOP_SUPPORT_EMAIL: must be an email address',
        'SHOP_BRAND_COLOR: must be a hex colour such as #2b6cb0 (got "brown")',
      ]);
    });
  });

  it('names what a role needs and is not set', () => {
    expect(() => checkRequirements('notifier', loadConfig({ DATABASE_URL: 'postgres://h/db' }))).to.throw(ConfigError, /KAFKA_BROKERS: required by --role=notifier[\s\S]*SMTP_URL/);
    expect(() => checkRequirements('migrate', loadConfig({ DATABASE_URL: 'postgres://h/db' }))).to.not.throw();
  });

  describe('DKIM', () => {
    const pem = (key: KeyObject): string => key.export({ format: 'pem', type: key.type === 'public' ? 'spki' : 'pkcs8' }).toString();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ed25519 = pem(generateKeyPairSync('ed25519').privateKey);
    const signer = { DKIM_DOMAIN: 'shop.example', DKIM_SELECTOR: 'om2026' };
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'ordermail-dkim-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** The problems loadConfig reports for `env`, one line each. */
    function problemsOf(env: Record<string, string>): readonly string[] {
      try {
        loadConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      throw new Error('no ConfigError');
    }

    it('signs nothing unless DKIM_* is set', () => {
      expect(loadConfig({}).smtp.dkim).to.equal(undefined);
    });

    it('reads the domain, the selector and an RSA or Ed25519 key, from DKIM_PRIVATE_KEY (PEM, or one line with \\n) or from DKIM_PRIVATE_KEY_FILE', () => {
      const rsaKey = pem(rsa.privateKey);
      expect(loadConfig({ ...signer, DKIM_PRIVATE_KEY: rsaKey }).smtp.dkim).to.deep.equal({ domainName: 'shop.example', keySelector: 'om2026', privateKey: rsaKey.trim() });
      expect(loadConfig({ ...signer, DKIM_PRIVATE_KEY: ed25519.replace(/\n/g, '\\n') }).smtp.dkim?.privateKey).to.equal(ed25519.trim());
      const file = join(dir, 'dkim.pem');
      writeFileSync(file, ed25519, { mode: 0o600 });
      expect(loadConfig({ ...signer, DKIM_DOMAIN: 'Shop.Example', DKIM_PRIVATE_KEY_FILE: file }).smtp.dkim).to.deep.equal({ domainName: 'shop.example', keySelector: 'om2026', privateKey: ed25519.trim() });
    });

    it('refuses a key DKIM cannot use, naming the variable and what is wrong, never repeating the key', () => {
      const ed25519Key = generateKeyPairSync('ed25519').privateKey;
      const cases: [string, string, RegExp][] = [
        ['an RSA key of 1024 bits', pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey), /^DKIM_PRIVATE_KEY: is an RSA key of 1024 bits: DKIM needs at least 2048/],
        ['an EC (P-256) key', pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), /^DKIM_PRIVATE_KEY: is a key of type ec: DKIM signs with RSA \(2048 bits or more\) or Ed25519$/],
        ['a public key', pem(rsa.publicKey), /^DKIM_PRIVATE_KEY: is a public key: give the private key/],
        ['an encrypted key', ed25519Key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString(), /^DKIM_PRIVATE_KEY: is encrypted: give it without a passphrase/],
        ['a broken PEM', pem(rsa.privateKey).replace(/\n[A-Za-z0-9+/]{8}/, '\n!!!!!!!!'), /^DKIM_PRIVATE_KEY: is not a readable PEM private key/],
        ['a path', '/etc/dkim/key.pem', /^DKIM_PRIVATE_KEY: is not a PEM private key .*DKIM_PRIVATE_KEY_FILE/],
      ];
      for (const [what, key, message] of cases) {
        const problems = problemsOf({ ...signer, DKIM_PRIVATE_KEY: key });
        expect(problems, what).to.have.length(1);
        expect(problems[0], what).to.match(message);
        const body = key.split('\n').filter((line) => line.length > 0 && !line.startsWith('-----'));
        for (const line of body) expect(problems[0], `${what} repeats its key`).to.not.contain(line);
      }
    });

    it('names each missing or wrong part: all of DKIM_* or none', () => {
      expect(problemsOf({ DKIM_DOMAIN: 'shop.example' })).to.deep.equal([
        'DKIM_SELECTOR: required to sign with DKIM (the s= selector: the key is published at <selector>._domainkey.<domain>)',
        'DKIM_PRIVATE_KEY: required to sign with DKIM (a PEM private key; or DKIM_PRIVATE_KEY_FILE, its path)',
      ]);
      expect(problemsOf({ DKIM_DOMAIN: 'shop example', DKIM_SELECTOR: 'om_2026', DKIM_PRIVATE_KEY: pem(rsa.privateKey), DKIM_PRIVATE_KEY_FILE: '/k.pem' }).map((p) => p.split(':')[0])).to.deep.equal([
        'DKIM_DOMAIN',
        'DKIM_SELECTOR',
        'DKIM_PRIVATE_KEY_FILE',
      ]);
      expect(problemsOf({ ...signer, DKIM_PRIVATE_KEY_FILE: join(dir, 'missing.pem') })).to.deep.equal([`DKIM_PRIVATE_KEY_FILE: cannot read ${join(dir, 'missing.pem')} (ENOENT)`]);
    });

    it('warns the roles that send email, once, when DKIM_DOMAIN is not aligned with the domain of MAIL_FROM (DMARC)', () => {
      const signed = (from: string, domain: string) => loadConfig({ ...signer, DKIM_DOMAIN: domain, DKIM_PRIVATE_KEY: pem(rsa.privateKey), MAIL_FROM: from });
      const notAligned = signed('Shop <orders@shop.example>', 'mailer.example');
      for (const role of ['notifier', 'all'] as const) {
        const warnings = startupWarnings(role, notAligned);
        expect(warnings).to.have.length(1);
        expect(warnings[0]).to.contain('DKIM_DOMAIN (mailer.example) is not the domain of MAIL_FROM (shop.example)');
      }
      expect(startupWarnings('relay', notAligned)).to.deep.equal([]);
      for (const [from, domain] of [
        ['Shop <orders@shop.example>', 'shop.example'],
        ['orders@mail.shop.example', 'shop.example'],
        ['Shop <orders@SHOP.example>', 'mail.shop.example'],
      ])
        expect(startupWarnings('notifier', signed(from as string, domain as string)), `${from} signed by ${domain}`).to.deep.equal([]);
    });
  });

  describe('callers', () => {
    const KEY = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=';

    it('has no API keys, a limit of 1000 orders/s with bursts of 2000 per caller, and no trusted proxy by default', () => {
      const config = loadConfig({});
      expect(config.apiKeys).to.equal(undefined);
      expect(config.orderRateLimit).to.deep.equal({ perSecond: 1000, burst: 2000 });
      expect(config.trustedProxyCount).to.equal(0);
    });

    it('reads several API keys for rotation, a rate, a burst (twice the rate unless set) and the trusted proxies', () => {
      const config = loadConfig({ API_KEYS: ` ${KEY}, ${KEY.replace(/a/g, 'b')} ,`, RATE_LIMIT_ORDERS_PER_SECOND: '2.5', TRUSTED_PROXY_COUNT: '2' });
      expect(config.apiKeys).to.deep.equal([KEY, KEY.replace(/a/g, 'b')]);
      expect(config.orderRateLimit).to.deep.equal({ perSecond: 2.5, burst: 5 });
      expect(config.trustedProxyCount).to.equal(2);
      expect(loadConfig({ RATE_LIMIT_ORDERS_PER_SECOND: '10', RATE_LIMIT_BURST: '3' }).orderRateLimit).to.deep.equal({ perSecond: 10, burst: 3 });
    });

    it('turns the rate limit off with RATE_LIMIT_ORDERS_PER_SECOND=0', () => {
      expect(loadConfig({ RATE_LIMIT_ORDERS_PER_SECOND: '0' }).orderRateLimit).to.equal(undefined);
    });

    it('refuses short keys and keys with spaces, without repeating the keys', () => {
      for (const API_KEYS of ['sh0rt', `${KEY},t00short`, 'w1th a sp4ce in it, really long']) {
        let thrown: unknown;
        try {
          loadConfig({ API_KEYS, RATE_LIMIT_BURST: '0', TRUSTED_PROXY_COUNT: '-1' });
        } catch (error) {
          thrown = error;
        }
        const problems = (thrown as ConfigError).problems;
        expect(problems.map((p) => p.split(':')[0])).to.deep.equal(['RATE_LIMIT_BURST', 'API_KEYS', 'TRUSTED_PROXY_COUNT']);
        for (const secret of ['sh0rt', 't00short', 'sp4ce', KEY]) expect(problems.join('\n')).to.not.contain(secret);
      }
    });

    it('warns the api role, and only it, when no API keys are set', () => {
      expect(startupWarnings('api', loadConfig({}))).to.have.length(1);
      expect(startupWarnings('api', loadConfig({ API_KEYS: KEY }))).to.deep.equal([]);
      for (const role of ['all', 'relay', 'notifier', 'migrate', 'dlq-replay'] as const) expect(startupWarnings(role, loadConfig({}))).to.deep.equal([]);
    });

    it('allows insecure webhook URLs by default only in the embedded mode (--role=all with nothing real configured), and says so at start-up', () => {
      expect(loadConfig({}, 'all').webhooks.allowInsecure).to.equal(true);
      for (const real of [{ DATABASE_URL: 'postgres://db/x' }, { KAFKA_BROKERS: 'k:9092' }, { SMTP_URL: 'smtp://mail:25' }, { WEBHOOK_ALLOW_INSECURE: 'false' }])
        expect(loadConfig(real, 'all').webhooks.allowInsecure, JSON.stringify(real)).to.equal(false);
      for (const role of ['api', 'notifier'] as const) expect(loadConfig({}, role).webhooks.allowInsecure).to.equal(false);
      expect(startupWarnings('all', loadConfig({}, 'all'))).to.deep.equal(['WEBHOOK_ALLOW_INSECURE is on: webhook endpoints may be http:// to this machine, and loopback addresses may be called; development only']);
      expect(startupWarnings('notifier', loadConfig({ WEBHOOK_ALLOW_INSECURE: 'true' }))).to.have.length(1);
    });
  });
});
