import { createPrivateKey } from 'node:crypto';
import DKIM from 'nodemailer/lib/dkim';
import { readDkimPrivateKey, type DkimSettings } from './dkim-key.js';

/** Turns a whole message into the same message with a DKIM-Signature header in front. */
export type MessageSigner = (message: Buffer) => Promise<Buffer>;

/**
 * The signer for a key: RSA through nodemailer's own DKIM signer (rsa-sha256), Ed25519 through mailauth's
 * (ed25519-sha256, RFC 8463), which nodemailer's lacks — it would send the message unsigned. Both relaxed/relaxed.
 */
export function dkimSigner(settings: DkimSettings): MessageSigner {
  const read = readDkimPrivateKey(settings.privateKey);
  if ('problem' in read) throw new Error(`DKIM private key ${read.problem}`);
  if (read.type === 'rsa') {
    // Parsed once: handed the PEM text, every signature would parse it again (OpenSSL 3: more than the signing itself).
    const privateKey = createPrivateKey(settings.privateKey) as unknown as string;
    const dkim = new DKIM({ domainName: settings.domainName, keySelector: settings.keySelector, privateKey });
    return async (message) => {
      const chunks: Buffer[] = [];
      for await (const chunk of dkim.sign(message)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
  }
  // mailauth is loaded only for an Ed25519 key: it is most of a process's start-up time otherwise.
  const signer = import('mailauth/lib/dkim/sign.js');
  signer.catch(() => undefined); // a failed load fails the first send that awaits it, not the process before it
  const signature = { signingDomain: settings.domainName, selector: settings.keySelector, privateKey: settings.privateKey, algorithm: 'ed25519-sha256', canonicalization: 'relaxed/relaxed' };
  return async (message) => {
    // An Ed25519 signature that could not be made fails the send: mailauth would let the message out unsigned.
    // Fresh options per message, as the signer writes into them; it reads only signatureData, though its type asks for the fields at the top too.
    const { dkimSign } = await signer;
    const { signatures, errors } = await dkimSign(message, { ...signature, signatureData: [{ ...signature }] });
    const cause = (errors[0] as { err?: Error } | undefined)?.err;
    if (cause || !/^DKIM-Signature:/i.test(signatures)) throw new Error(`DKIM signing failed: ${cause?.message ?? 'no signature made'}`);
    return Buffer.concat([Buffer.from(signatures), message]);
  };
}
