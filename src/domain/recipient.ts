/**
 * Who an email really goes to, for counting per recipient: `Ada+Promo@Example.COM ` and `ada@example.com`
 * are one mailbox. The domain is case-insensitive (RFC 5321); the local part is lowercased and its
 * `+tag` dropped too, although a server may in theory tell them apart, because nearly every mail
 * provider delivers them to the same mailbox: a cap an attacker could dodge by varying the case or the
 * tag would cap nothing, and two people who share a key only share one cap. Provider-specific rules
 * (Gmail ignoring dots) are left out: they hold for one domain, not for mail in general.
 */
export function recipientKey(address: string): string {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed.toLowerCase();
  const local = trimmed.slice(0, at).toLowerCase();
  const plus = local.indexOf('+');
  // A local part that is all tag (`+x@`) keeps it: an empty one would not be an address.
  const mailbox = plus > 0 ? local.slice(0, plus) : local;
  return `${mailbox}@${trimmed.slice(at + 1).toLowerCase()}`;
}
