import { expect } from 'chai';
import { forbiddenAddress, refusalAmong } from '../../src/adapters/webhook/address-rules.js';
import { HttpWebhookAddressCheck } from '../../src/adapters/webhook/http-webhook-address-check.js';
import { ValidationError } from '../../src/domain/errors.js';

/** Address → the words of its refusal (a part of them); the table a reader checks against the design. */
const FORBIDDEN: readonly [string, string][] = [
  ['0.0.0.0', 'unspecified'],
  ['0.255.255.255', 'unspecified'],
  ['10.0.0.5', 'a private address'],
  ['10.255.255.255', 'a private address'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['100.127.255.254', 'carrier-grade NAT'],
  ['169.254.169.254', 'link-local'],
  ['169.254.0.1', 'link-local'],
  ['172.16.0.1', 'a private address'],
  ['172.31.255.255', 'a private address'],
  ['192.0.0.8', 'reserved'],
  ['192.0.2.10', 'documentation'],
  ['192.168.1.1', 'a private address'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'reserved'],
  ['::', 'unspecified'],
  ['fc00::1', 'a private address'],
  ['fd12:3456:789a::1', 'a private address'],
  ['fec0::1', 'a private address'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'reserved'],
  ['100::1', 'reserved'],
  ['::10.0.0.1', 'reserved'],
  ['::8.8.8.8', 'reserved'],
  ['64:ff9b:1::a00:1', 'reserved'],
  // IPv4 inside IPv6: the IPv4 address is what gets called.
  ['::ffff:10.0.0.5', 'a private address (10.0.0.5 inside IPv6)'],
  ['::ffff:a00:5', 'a private address (10.0.0.5 inside IPv6)'],
  ['::ffff:169.254.169.254', 'link-local'],
  ['::ffff:a9fe:a9fe', 'link-local'],
  ['0:0:0:0:0:ffff:c0a8:0101', 'a private address (192.168.1.1 inside IPv6)'],
  ['64:ff9b::10.1.2.3', 'a private address (10.1.2.3 inside IPv6)'],
  ['64:ff9b::a9fe:a9fe', 'link-local'],
  ['64:ff9b::c612:1', 'benchmarking'],
  ['[::ffff:192.168.0.1]', 'a private address'],
  ['example.com', 'not an IP address'],
  ['', 'not an IP address'],
];

const LOOPBACK = ['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '[::1]', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::7f00:1'];

const PUBLIC = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '9.255.255.255',
  '11.0.0.0',
  '100.63.255.255',
  '100.128.0.0',
  '126.255.255.255',
  '128.0.0.0',
  '169.253.255.255',
  '169.255.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '192.0.1.1',
  '192.167.255.255',
  '192.169.0.0',
  '198.17.255.255',
  '198.20.0.0',
  '223.255.255.255',
  '2001:4860:4860::8888',
  '2606:4700:4700::1111',
  '2a00:1450:4001:80b::200e',
  'fbff::1',
  '::ffff:8.8.8.8',
  '::ffff:808:808',
  '64:ff9b::8.8.8.8',
  '64:ff9b::101:101',
];

describe('Webhook address rules', () => {
  for (const [address, words] of FORBIDDEN) {
    it(`refuses ${address || '""'} as ${words}`, () => {
      expect(forbiddenAddress(address, false)).to.be.a('string').that.contains(words);
      expect(forbiddenAddress(address, true), 'allowInsecure opens loopback only').to.be.a('string').that.contains(words);
    });
  }

  for (const address of LOOPBACK) {
    it(`refuses the loopback address ${address}, unless insecure addresses are allowed`, () => {
      expect(forbiddenAddress(address, false)).to.contain('a loopback address');
      expect(forbiddenAddress(address, true)).to.equal(undefined);
    });
  }

  for (const address of PUBLIC) {
    it(`allows the public address ${address}`, () => {
      expect(forbiddenAddress(address, false)).to.equal(undefined);
    });
  }

  it('names the first refused address of a host and the rule', () => {
    expect(refusalAmong(['8.8.8.8', '10.0.0.5', '127.0.0.1'], false)).to.equal('resolves to 10.0.0.5, a private address: webhooks may only call public addresses');
    expect(refusalAmong(['127.0.0.1'], false)).to.contain('loopback only when WEBHOOK_ALLOW_INSECURE=true');
    expect(refusalAmong(['8.8.8.8', '2001:4860:4860::8888'], false)).to.equal(undefined);
  });
});

describe('HttpWebhookAddressCheck', () => {
  /** A resolver that knows a few names, and fails the others the way the system's does. */
  const hosts: Record<string, string[]> = {
    'public.test': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'inward.test': ['93.184.216.34', '10.0.0.5'],
    'metadata.test': ['169.254.169.254'],
    'mapped.test': ['::ffff:10.0.0.5'],
    'empty.test': [],
  };
  const lookup = async (hostname: string) => {
    if (hostname === 'flaky.test') throw Object.assign(new Error('getaddrinfo EAI_AGAIN flaky.test'), { code: 'EAI_AGAIN' });
    const addresses = hosts[hostname];
    if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  const check = new HttpWebhookAddressCheck({ allowInsecure: false, lookup });

  const refusal = async (checker: HttpWebhookAddressCheck, url: string): Promise<string> => {
    const error = await checker.check(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, url).to.be.instanceOf(ValidationError);
    const details = (error as ValidationError).details;
    expect(details).to.have.length(1);
    expect(details[0]?.field).to.equal('url');
    return details[0]?.message ?? '';
  };

  it('accepts a host whose every address is public', async () => {
    await check.check('https://public.test/hooks');
    await check.check('https://8.8.8.8/hooks');
    await check.check('https://[2001:4860:4860::8888]:8443/hooks');
  });

  it('refuses a host with one private address among public ones, naming it', async () => {
    expect(await refusal(check, 'https://inward.test/hooks')).to.equal('resolves to 10.0.0.5, a private address: webhooks may only call public addresses');
  });

  it('refuses a host that resolves to the metadata address, or to a private address inside IPv6', async () => {
    expect(await refusal(check, 'https://metadata.test/')).to.contain('resolves to 169.254.169.254, a link-local address');
    expect(await refusal(check, 'https://mapped.test/')).to.contain('resolves to ::ffff:10.0.0.5, a private address (10.0.0.5 inside IPv6)');
  });

  it('checks a literal IP as it is, without asking the resolver', async () => {
    const never = new HttpWebhookAddressCheck({ allowInsecure: false, lookup: () => Promise.reject(new Error('asked the resolver')) });
    expect(await refusal(never, 'https://10.0.0.5/hooks')).to.contain('resolves to 10.0.0.5, a private address');
    expect(await refusal(never, 'https://[fd00::1]/hooks')).to.contain('a private address');
    expect(await refusal(never, 'https://[::ffff:169.254.169.254]/')).to.contain('link-local');
    // The URL parser writes other forms of an IPv4 address as dotted decimal first.
    expect(await refusal(never, 'https://0x7f000001/')).to.contain('resolves to 127.0.0.1, a loopback address');
    expect(await refusal(never, 'https://2130706433/')).to.contain('resolves to 127.0.0.1, a loopback address');
  });

  it('says so when the host does not resolve, or could not be resolved now', async () => {
    expect(await refusal(check, 'https://nowhere.test/')).to.equal('host "nowhere.test" does not resolve');
    expect(await refusal(check, 'https://empty.test/')).to.equal('host "empty.test" does not resolve');
    expect(await refusal(check, 'https://flaky.test/')).to.equal('host "flaky.test" could not be resolved (EAI_AGAIN): try again');
  });

  it('refuses localhost (resolved by the system) unless insecure addresses are allowed', async () => {
    expect(await refusal(new HttpWebhookAddressCheck({ allowInsecure: false }), 'http://localhost:4400/webhooks')).to.match(
      /^resolves to (127\.0\.0\.1|::1), a loopback address: webhooks may only call public addresses \(loopback only when WEBHOOK_ALLOW_INSECURE=true\)$/,
    );
    await new HttpWebhookAddressCheck({ allowInsecure: true }).check('http://localhost:4400/webhooks');
  });

  it('refuses what is not a URL', async () => {
    expect(await refusal(check, 'not a url')).to.equal('must be an absolute URL');
  });
});
