import { pipeline, Transform, type Readable } from 'node:stream';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import DKIM from 'nodemailer/lib/dkim';
import { readDkimPrivateKey, type DkimSettings } from './dkim-key.js';

/** Turns a whole message's stream into the same message with a DKIM-Signature header in front. */
export type MessageSigner = (message: Readable) => Readable;

/**
 * The signer for a key: RSA through nodemailer's own DKIM signer (rsa-sha256), Ed25519 through mailauth's
 * (ed25519-sha256, RFC 8463), which nodemailer's lacks — it would send the message unsigned. Both relaxed/relaxed.
 */
export function dkimSigner(settings: DkimSettings): MessageSigner {
  const read = readDkimPrivateKey(settings.privateKey);
  if ('problem' in read) throw new Error(`DKIM private key ${read.problem}`);
  if (read.type === 'rsa') {
    const dkim = new DKIM({ domainName: settings.domainName, keySelector: settings.keySelector, privateKey: settings.privateKey });
    return (message) => dkim.sign(message);
  }
  const signature = { signingDomain: settings.domainName, selector: settings.keySelector, privateKey: settings.privateKey, algorithm: 'ed25519-sha256', canonicalization: 'relaxed/relaxed' };
  // Fresh options per message, as the signer writes into them; it reads only signatureData, though its type asks for the fields at the top too.
  const sign = (whole: Buffer) => dkimSign(whole, { ...signature, signatureData: [{ ...signature }] });
  return (message) => pipeline(message, new SignedMessage(sign), () => undefined);
}

/**
 * Holds the message until its end, then lets out the signature and the message. A signature that could not
 * be made fails the stream (so the send): mailauth's own DkimSignStream would let the message out unsigned.
 */
class SignedMessage extends Transform {
  private readonly chunks: Buffer[] = [];

  constructor(private readonly sign: (message: Buffer) => Promise<{ signatures: string; errors: unknown[] }>) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }

  override _flush(done: (error?: Error | null) => void): void {
    const message = Buffer.concat(this.chunks);
    this.sign(message).then(
      ({ signatures, errors }) => {
        const cause = (errors[0] as { err?: Error } | undefined)?.err;
        if (cause || !/^DKIM-Signature:/i.test(signatures)) return done(new Error(`DKIM signing failed: ${cause?.message ?? 'no signature made'}`));
        this.push(signatures);
        this.push(message);
        done();
      },
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  }
}
