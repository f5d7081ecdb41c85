import { expect } from 'chai';
import MailComposer from 'nodemailer/lib/mail-composer';
import { Readable } from 'node:stream';
import { composeMessage, writeTree } from '../../src/adapters/smtp/mime-message.js';

type Mail = NonNullable<ConstructorParameters<typeof MailComposer>[0]>;

const DATE = new Date('2026-11-26T08:00:00.000Z');
const BASE = { from: 'Shop <orders@shop.test>', to: 'customer@example.com', messageId: '<order-created-1@shop.test>', date: DATE, baseBoundary: '0123456789abcdef' };
const longLine = 'word '.repeat(40).trim();
const html = (body: string): string => `<!doctype html><html><body><p style="color:#333">${body}</p></body></html>`;

/** Emails of every shape the templates make, and the strange ones a shop's template or an order's text could. */
const cases: Record<string, Mail> = {
  'text and html, ASCII': { ...BASE, subject: 'Order order-1 received', text: 'Thank you.\n\nItems:\n  - sku-1\n', html: html('Thank you') },
  'text only': { ...BASE, subject: 'Order shipped', text: 'Your order has shipped.\n' },
  'html only': { ...BASE, subject: 'Html', html: html('only html') },
  'German umlauts in subject, text and html': { ...BASE, subject: 'Bestellung Nr. 1 ist unterwegs – Grüße', text: 'Ihre Bestellung wurde versandt. Größe: 42\n', html: html('Größe: 42 – “quoted”') },
  'mostly non-Latin text (base64)': { ...BASE, subject: 'ご注文ありがとうございます', text: 'ご注文ありがとうございます。発送しました。', html: html('ご注文ありがとうございます') },
  'emoji and astral characters': { ...BASE, subject: 'Order 🎉 received 🚚', text: 'Thanks 🎉\n', html: html('🚚 on its way') },
  'long lines (quoted-printable though ASCII)': { ...BASE, subject: `A long subject ${longLine}`, text: `${longLine} ${longLine}\n`, html: html(longLine.repeat(3)) },
  'dots and From at line starts, trailing spaces, tabs': { ...BASE, subject: 'Dots', text: '.\n..leading\nFrom here\ntrailing   \n\tTabbed\t\n', html: html('.\n. \t') },
  'CRLF, lone CR and LF in the text': { ...BASE, subject: 'Lines', text: 'a\r\nb\rc\nd\r\n', html: html('a\r\nb') },
  'equals signs and control characters': { ...BASE, subject: 'Equals = sign', text: 'a=b =3D\u0001\u0007 end\n', html: html('x=y') },
  'custom headers, one non-ASCII, keys in odd case': {
    ...BASE,
    subject: 'Headers',
    text: 'x\n',
    html: html('x'),
    headers: { 'X-Order-ID': 'order-1', 'x-correlation-id': 'corr-1', 'Content-Language': 'de-DE', 'X-Shop-Name': 'Café Zoë', 'Auto-Submitted': 'auto-generated', 'List-Unsubscribe': '<https://shop.test/u?x=1>' },
  },
  'a display name with quotes, commas and accents': { ...BASE, from: '"Zoë, Shop \\"Best\\"" <orders@shop.test>', to: 'Ada Lovelace <ada@example.com>', subject: 'Names', text: 'x\n' },
  'a Unicode local part (kept as is, in UTF-8) and a Buffer body': { ...BASE, to: 'jöhn@example.com', subject: 'EAI', text: Buffer.from('bytes: \u00e9\n'), html: html('x') },
  'an IDN sender domain': { ...BASE, from: 'Shop <orders@bücher.example>', subject: 'IDN', text: 'x\n', html: html('x') },
  'empty text and html': { ...BASE, subject: 'Empty', text: '', html: '' },
  'the largest quoted-printable bodies one pass writes (just under 64 KiB, with line breaks)': { ...BASE, subject: 'Big', text: `${'Ünïcödé and ASCII text. '.repeat(2000)}\n`, html: html('<td>cell</td>\n'.repeat(4500)) },
  'base64 bodies of whole lines, one of them beyond 64 KiB': { ...BASE, subject: 'B64', text: 'ご'.repeat(19 * 4), html: `<p>${'注文'.repeat(20_000)}</p>` },
};

/** Shapes one pass does not write as nodemailer's encoder would: composeMessage leaves them to nodemailer. */
const leftToNodemailer: Record<string, Mail> = {
  'quoted-printable beyond 64 KiB, with line breaks': { ...BASE, subject: 'QP', text: 'x\n', html: `${'<p>Größe xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</p>\n'.repeat(900)}` },
  'quoted-printable ending in spaces': { ...BASE, subject: 'QP', html: `Größe \n${'z'.repeat(27)}${' '.repeat(30)}` },
};

describe('composing an email in one pass (mime-message)', () => {
  for (const [name, mail] of Object.entries(cases))
    it(`writes the same bytes as nodemailer's own build: ${name}`, async () => {
      const ours = writeTree(new MailComposer({ ...mail }).compile());
      const theirs = await new MailComposer({ ...mail }).compile().build();
      expect(ours, 'written in one pass').to.be.instanceOf(Buffer);
      expect(ours?.toString('latin1')).to.equal(theirs.toString('latin1'));
    });

  for (const [name, { from, to, subject, text, html: body, messageId }] of Object.entries(leftToNodemailer))
    it(`leaves to nodemailer what one pass would write otherwise: ${name}`, async () => {
      const fields = { from: from as string, to: to as string, subject: subject as string, text: (text as string | undefined) ?? '', html: body as string, messageId: messageId as string, headers: {} };
      expect(writeTree(new MailComposer({ ...fields, baseBoundary: BASE.baseBoundary }).compile())).to.equal(undefined);
      const composed = await composeMessage(fields);
      // The same message as nodemailer's build() of the same tree: its boundary, and the Date of its second.
      const base = /boundary="--_NmP-([0-9a-f]+)-Part_1"/.exec(composed.raw.toString())?.[1];
      const theirs = await new MailComposer({ ...fields, ...(base ? { baseBoundary: base } : {}) }).compile().build();
      const undated = (raw: Buffer): string => raw.toString('latin1').replace(/^Date: .*$/m, 'Date: -');
      expect(undated(composed.raw)).to.equal(undated(theirs));
    });

  it('leaves a part whose body is a stream to nodemailer, and still composes the message', async () => {
    const mail = { ...BASE, subject: 'Stream', text: Readable.from(['streamed ', 'text\n']) };
    expect(writeTree(new MailComposer({ ...BASE, subject: 'Stream', text: Readable.from(['x']) }).compile())).to.equal(undefined);
    const composed = await new MailComposer(mail).compile().build();
    expect(composed.toString()).to.include('streamed text');
  });

  it('gives each message its own boundary and the envelope of its addresses', async () => {
    const fields = { from: 'Shop <orders@shop.test>', to: 'ada@example.com', subject: 'S', text: 't', html: '<p>h</p>', messageId: '<m@shop.test>', headers: {} };
    const [first, second] = await Promise.all([composeMessage(fields), composeMessage(fields)]);
    const boundaryOf = (raw: Buffer): string | undefined => /boundary="([^"]+)"/.exec(raw.toString())?.[1];
    expect(boundaryOf(first.raw)).to.be.a('string');
    expect(boundaryOf(first.raw)).to.not.equal(boundaryOf(second.raw));
    expect(first.envelope).to.deep.equal({ from: 'orders@shop.test', to: ['ada@example.com'] });
  });
});
