import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** Who signs: the d= domain, the s= selector, and the private key (PEM) whose public half is published at `<selector>._domainkey.<domain>`. */
export interface DkimSettings {
  readonly domainName: string;
  readonly keySelector: string;
  readonly privateKey: string;
}

/** The key types DKIM receivers verify (the record's k= tag): RSA (RFC 6376) and Ed25519 (RFC 8463). */
export const DKIM_KEY_TYPES = ['rsa', 'ed25519'] as const;
export type DkimKeyType = (typeof DKIM_KEY_TYPES)[number];

/** RFC 8301 allows 1024 bits, but receivers treat such keys as weak; 2048 is what providers ask for. */
export const MIN_RSA_BITS = 2048;

/** A DNS TXT record holds strings of at most 255 bytes each; a longer value is published as several, joined by the receiver. */
const TXT_STRING_BYTES = 255;

/**
 * Reads a PEM private key for signing, or says in one line what is wrong with it — never repeating the key,
 * so the line may go to a terminal or a log.
 */
export function readDkimPrivateKey(pem: string): { key: KeyObject; type: DkimKeyType } | { problem: string } {
  if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) return { problem: 'is a public key: give the private key (its public half is what goes into DNS)' };
  if (!pem.includes('-----BEGIN ')) return { problem: 'is not a PEM private key (-----BEGIN PRIVATE KEY----- …); a path to a key file belongs in DKIM_PRIVATE_KEY_FILE' };
  // PKCS#8 or OpenSSL's traditional form; OpenSSL's error for either says only "interrupted or cancelled".
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) return { problem: 'is encrypted: give it without a passphrase (openssl pkey -in encrypted.pem -out key.pem)' };
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return { problem: 'is not a readable PEM private key (PKCS#8 "BEGIN PRIVATE KEY" or PKCS#1 "BEGIN RSA PRIVATE KEY")' };
  }
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return { key, type };
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return { problem: `is an RSA key of ${bits} bits: DKIM needs at least ${MIN_RSA_BITS} (npm run dkim -- keygen makes one)` };
    return { key, type };
  }
  return { problem: `is a key of type ${type ?? 'unknown'}: DKIM signs with RSA (${MIN_RSA_BITS} bits or more) or Ed25519` };
}

/** A new key pair for DKIM: RSA of `rsaBits` (2048 unless told), or Ed25519. */
export function generateDkimKey(type: DkimKeyType, rsaBits = MIN_RSA_BITS): { privateKeyPem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: rsaBits }) : generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey };
}

/** Where receivers look the key up: `<selector>._domainkey.<domain>`. */
export function dkimRecordName(settings: Pick<DkimSettings, 'domainName' | 'keySelector'>): string {
  return `${settings.keySelector}._domainkey.${settings.domainName}`;
}

/** The TXT record's value for a key (either half): `v=DKIM1; k=rsa|ed25519; p=<base64>`. */
export function dkimRecordValue(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const type = publicKey.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519') throw new Error(`a ${type ?? 'unknown'} key has no DKIM record`);
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  // RSA publishes the DER SubjectPublicKeyInfo; Ed25519 the bare 32-byte key, the last 32 bytes of its SPKI (RFC 8463 §4.2).
  const p = type === 'ed25519' ? spki.subarray(-32) : spki;
  return `v=DKIM1; k=${type}; p=${p.toString('base64')}`;
}

/** The record as a zone-file line, its value cut into TXT strings a DNS server accepts. */
export function dkimZoneFileLine(settings: Pick<DkimSettings, 'domainName' | 'keySelector'>, value: string): string {
  const strings = value.match(new RegExp(`.{1,${TXT_STRING_BYTES}}`, 'g')) ?? [];
  return `${dkimRecordName(settings)}. 3600 IN TXT ${strings.map((s) => `"${s}"`).join(' ')}`;
}
