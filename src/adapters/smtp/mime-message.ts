import { randomUUID } from 'node:crypto';
import * as base64 from 'nodemailer/lib/base64';
import MailComposer from 'nodemailer/lib/mail-composer';
import type MimeNode from 'nodemailer/lib/mime-node';
import * as qp from 'nodemailer/lib/qp';
import type { EmailMessage } from '../../application/ports/mailer.js';

/** What nodemailer composes an email of: the application's message, from the sender SmtpMailer is set up with. */
export type MimeFields = EmailMessage & { readonly from: string };

/** An email as the bytes that go after DATA (RFC 5322, CRLF), and the addresses of MAIL FROM and RCPT TO. */
export interface MimeMessage {
  readonly envelope: { readonly from: string | false; readonly to: string[] };
  readonly raw: Buffer;
}

/** Line length of the encoded bodies, as nodemailer's encoders wrap them. */
const LINE_LENGTH = 76;
/**
 * nodemailer's quoted-printable encoder works in slices of this many bytes and wraps a body's trailing spaces and
 * tabs apart: one pass writes the same bytes only for a body within one slice that does not end in either.
 */
const QP_SLICE_BYTES = 64 * 1024;

/**
 * Composes an email once, into one Buffer: nodemailer's MailComposer makes the MIME tree and every header (the
 * same encodings, folding and order its sendMail gives these fields), and the tree is written out here in one
 * synchronous pass with nodemailer's own encoders, instead of its node-by-node streams (half of a send's CPU:
 * a transform, a pipeline and an AbortController per part). The message can then be signed whole and written to
 * the connection in one piece. A tree with anything but text in memory (no such email is made here) is built by
 * nodemailer as it is.
 */
export async function composeMessage(fields: MimeFields): Promise<MimeMessage> {
  // A random base per message (64 bits, as nodemailer's own), from node's batched random UUIDs: a randomBytes
  // call of its own costs more than the rest of the headers. The parts are numbered after it.
  const baseBoundary = randomUUID().replaceAll('-', '').slice(0, 16);
  const compile = (): MimeNode => new MailComposer({ ...fields, headers: fields.headers as Record<string, string>, baseBoundary }).compile();
  const node = compile();
  const { from, to } = node.getEnvelope();
  // When one pass cannot write it as nodemailer would, nodemailer builds it (from a fresh tree: writing the headers
  // has set some of this one's).
  const raw = writeTree(node) ?? (await compile().build());
  return { envelope: { from, to }, raw };
}

/**
 * The message of a compiled tree, written in one pass and ended with a line break as createReadStream ends it;
 * undefined when a part's body is not in memory, or is quoted-printable beyond what one pass writes as nodemailer
 * does (QP_SLICE_BYTES), or the tree has transforms or a newline conversion of its own.
 */
export function writeTree(node: MimeNode): Buffer | undefined {
  const { _transforms: transforms, _processFuncs: processFuncs, newline } = node as unknown as { _transforms?: unknown[]; _processFuncs?: unknown[]; newline?: unknown };
  if (transforms?.length || processFuncs?.length || newline || !inMemory(node)) return undefined;
  const parts: (string | Buffer)[] = [];
  if (!write(node, parts)) return undefined;
  // As the stream writes them: strings as UTF-8 (headers are ASCII, but an address's local part may be Unicode,
  // which nodemailer keeps as it is), Buffers as their bytes.
  const raw = parts.every((part) => typeof part === 'string') ? Buffer.from(parts.join(''), 'utf8') : Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));
  const last = raw.at(-1);
  return last === 0x0a ? raw : Buffer.concat([raw, Buffer.from(last === 0x0d ? '\n' : '\r\n')]);
}

interface TreeNode {
  readonly content?: unknown;
  readonly _raw?: unknown;
  readonly multipart?: unknown;
  readonly boundary?: string | false;
  readonly childNodes: readonly TreeNode[];
}

const tree = (node: MimeNode): TreeNode => node as unknown as TreeNode;

/** Whether every part's body is a string or a Buffer: what `write` can encode without a stream. */
function inMemory(node: MimeNode): boolean {
  const { content, _raw: raw, childNodes } = tree(node);
  if (raw !== undefined && raw !== null && raw !== false) return false;
  if (content !== undefined && content !== null && content !== '' && typeof content !== 'string' && !Buffer.isBuffer(content)) return false;
  return (childNodes as unknown as MimeNode[]).every(inMemory);
}

/**
 * The node as MimeNode.stream writes it, into `parts`: its header block, a blank line, its body in its transfer
 * encoding, and for a multipart its children between boundary lines. False when a body is quoted-printable and
 * one pass would not write it as nodemailer's encoder does.
 */
function write(node: MimeNode, parts: (string | Buffer)[]): boolean {
  parts.push(node.buildHeaders(), '\r\n\r\n');
  const { content, multipart, boundary, childNodes } = tree(node);
  if (content) {
    const encoding = node.getTransferEncoding();
    const body = content as string | Buffer;
    if (encoding === 'quoted-printable') {
      const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      const last = typeof body === 'string' ? body.charCodeAt(body.length - 1) : body[body.length - 1];
      if (bytes > QP_SLICE_BYTES || last === 0x20 || last === 0x09) return false;
      parts.push(qp.wrap(qp.encode(body), LINE_LENGTH));
    }
    else if (encoding === 'base64') parts.push(base64.wrap(base64.encode(body), LINE_LENGTH));
    else parts.push(body);
  }
  if (multipart && boundary) {
    for (const [index, child] of childNodes.entries()) {
      parts.push(`${index > 0 ? '\r\n' : ''}--${boundary}\r\n`);
      if (!write(child as unknown as MimeNode, parts)) return false;
    }
    parts.push(`\r\n--${boundary}--\r\n`);
  }
  return true;
}
