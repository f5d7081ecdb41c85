import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/bootstrap/config.js';
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
  });
});
