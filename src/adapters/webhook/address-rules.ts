import { lookup } from 'node:dns/promises';
import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * Where a webhook may not point (SSRF): anything that is not a public unicast address. The registration check and
 * the sender's connect-time lookup both ask these rules, so a URL that passed cannot be turned inward later by DNS.
 */

/** A family of forbidden addresses, with the words a refusal names it by. */
interface ForbiddenRange {
  readonly what: string;
  readonly list: BlockList;
  /** Loopback is allowed in development (WEBHOOK_ALLOW_INSECURE=true), for a receiver on the same machine. */
  readonly loopback?: true;
}

const range = (what: string, subnets: readonly string[], loopback?: true): ForbiddenRange => {
  const list = new BlockList();
  for (const subnet of subnets) {
    const [network, prefix] = subnet.split('/') as [string, string];
    list.addSubnet(network, Number(prefix), isIPv4(network) ? 'ipv4' : 'ipv6');
  }
  return { what, list, ...(loopback ? { loopback } : {}) };
};

const FORBIDDEN: readonly ForbiddenRange[] = [
  range('a loopback address', ['127.0.0.0/8', '::1/128'], true),
  // fec0::/10: IPv6 site-local, deprecated (RFC 3879) but still routed inside some networks.
  range('a private address', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fec0::/10']),
  range('a link-local address (where cloud metadata services answer)', ['169.254.0.0/16', 'fe80::/10']),
  range('an unspecified ("this network") address', ['0.0.0.0/8', '::/128']),
  range('a shared (carrier-grade NAT) address', ['100.64.0.0/10']),
  range('a multicast address', ['224.0.0.0/4', 'ff00::/8']),
  // ::/96 (IPv4-compatible, deprecated) after ::/128 and ::1/128 above, which it contains.
  range('a reserved address', ['240.0.0.0/4', '192.0.0.0/24', '192.88.99.0/24', '::/96', '100::/64', '64:ff9b:1::/48', '2001:db8::/32']),
  range('a benchmarking address', ['198.18.0.0/15']),
  range('a documentation address', ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24']),
];

/** IPv6 prefixes whose last 32 bits carry the IPv4 address that really gets called: IPv4-mapped and NAT64 (RFC 6052). */
const EMBEDDING_IPV4 = range('an IPv6 address embedding IPv4', ['::ffff:0:0/96', '64:ff9b::/96']);

/**
 * Why an address may not be called, in words for a refusal (`a private address`), or undefined when it may.
 * An address that is not an IP at all is refused too: only resolved addresses get here.
 */
export function forbiddenAddress(address: string, allowInsecure: boolean): string | undefined {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  if (family === 6 && EMBEDDING_IPV4.list.check(ip, 'ipv6')) {
    const embedded = embeddedIPv4(ip);
    const reason = forbiddenAddress(embedded, allowInsecure);
    return reason === undefined ? undefined : `${reason} (${embedded} inside IPv6)`;
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const hit = FORBIDDEN.find((forbidden) => forbidden.list.check(ip, type));
  if (hit === undefined || (hit.loopback && allowInsecure)) return undefined;
  return hit.what;
}

/** The refusal of one resolved address, naming the address and the rule: what a caller registering a URL reads. */
export function refusalMessage(address: string, reason: string, allowInsecure: boolean): string {
  const hint = reason.startsWith('a loopback') && !allowInsecure ? ' (loopback only when WEBHOOK_ALLOW_INSECURE=true)' : '';
  return `resolves to ${address}, ${reason}: webhooks may only call public addresses${hint}`;
}

/** The IPv4 address in the last 32 bits of an IPv6 address. */
function embeddedIPv4(ipv6: string): string {
  const groups = expandIPv6(ipv6);
  const high = groups[6] ?? 0;
  const low = groups[7] ?? 0;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** The eight 16-bit groups of a valid IPv6 address, `::` and a dotted IPv4 tail written out. */
function expandIPv6(ipv6: string): number[] {
  const toGroups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = '', tail] = ipv6.toLowerCase().split('::');
  const left = toGroups(head);
  if (tail === undefined) return left;
  const right = toGroups(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** A host's addresses, as the resolver of the system gives them (`/etc/hosts` included): all of them, in its order. */
export type HostLookup = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

export const systemLookup: HostLookup = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** The refusal of the first address that may not be called, or undefined when every one may: one bad address spoils the host. */
export function refusalAmong(addresses: readonly string[], allowInsecure: boolean): string | undefined {
  for (const address of addresses) {
    const reason = forbiddenAddress(address, allowInsecure);
    if (reason !== undefined) return refusalMessage(address, reason, allowInsecure);
  }
  return undefined;
}

/** The host of a URL as the resolver takes it: an IPv6 literal without its brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');
