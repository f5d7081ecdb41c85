import { expect } from 'chai';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { FileEmailTemplates, TemplateProblems, type EmailTemplatesOptions } from '../../src/adapters/templates/file-email-templates.js';
import { EmailRenderError } from '../../src/application/ports/email-templates.js';
import type { EmailMessage } from '../../src/application/ports/mailer.js';
import { orderConfirmation } from '../../src/application/send-order-confirmation-on-order-created.js';
import { statusUpdate } from '../../src/application/send-status-update-on-order-status-changed.js';
import { sampleNotification } from '../../src/application/templates/sample-notifications.js';
import { notificationMessageId } from '../../src/application/templates/template.js';
import { NOTIFICATION_KINDS, type Notification } from '../../src/domain/notification.js';
import { Order } from '../../src/domain/order.js';
import type { OrderCreatedEvent } from '../../src/domain/order-created.js';
import type { OrderStatusChangedEvent } from '../../src/domain/order-status-changed.js';
import { checkStatusChange, type TargetStatus } from '../../src/domain/order-status.js';
import { builtInTemplates, DEFAULT_TEMPLATE_OPTIONS } from '../support/email-templates.js';

/** The languages ordermail ships complete: every kind, subject, HTML and text. */
const SHIPPED_LANGUAGES = ['de', 'en'];

const addressing = (notification: Notification) => ({ to: 'ada@example.com', messageId: notificationMessageId(notification, 'shop.test'), correlationId: 'corr-1' });

/** The email as a mail client receives it: built by nodemailer into MIME, read back by mailparser. */
async function received(email: EmailMessage): Promise<ParsedMail> {
  const mime = await new MailComposer({ from: 'Shop <orders@shop.test>', to: email.to, subject: email.subject, text: email.text, html: email.html, messageId: email.messageId, headers: email.headers })
    .compile()
    .build();
  return simpleParser(mime);
}

const HTML_ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const unescapeHtml = (text: string): string => text.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => HTML_ENTITIES[entity] as string);
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** Every link of an HTML body, as the browser reads its href. */
const linksOf = (html: string): string[] => [...html.matchAll(/<a\s[^>]*?href="([^"]*)"/g)].map((match) => unescapeHtml(match[1] ?? ''));

const at = new Date('2026-11-24T12:00:00.000Z');

function createdEvent(input: { orderId?: string; itemIds?: string[]; locale?: string } = {}): OrderCreatedEvent {
  const order = Order.create({ orderId: input.orderId ?? 'A-1', itemIds: input.itemIds ?? ['sku-1', 'sku-2'], ...(input.locale ? { locale: input.locale } : {}) }, randomUUID(), at);
  return order.pullEvents()[0] as OrderCreatedEvent;
}

function statusEvent(status: TargetStatus, input: { orderId?: string; locale?: string; carrier?: string; trackingUrl?: string; note?: string } = {}): OrderStatusChangedEvent {
  const order = Order.create({ orderId: input.orderId ?? 'A-1', itemIds: ['sku-1'], ...(input.locale ? { locale: input.locale } : {}) }, randomUUID(), at);
  if (status === 'delivered') order.changeStatus({ status: 'shipped' }, randomUUID(), at);
  order.pullEvents();
  const { carrier, trackingUrl, note } = input;
  order.changeStatus({ status, ...(carrier ? { carrier } : {}), ...(trackingUrl ? { trackingUrl } : {}), ...(note ? { note } : {}) }, randomUUID(), new Date('2026-01-15T08:30:00.000Z'));
  return order.pullEvents()[0] as OrderStatusChangedEvent;
}

/** A TEMPLATES_DIR holding `files` (path → text), made for one test. */
function templatesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ordermail-templates-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

async function problemsOf(options: Partial<EmailTemplatesOptions>): Promise<readonly string[]> {
  const error = await FileEmailTemplates.load({ ...DEFAULT_TEMPLATE_OPTIONS, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the templates should not load').to.be.instanceOf(TemplateProblems);
  return (error as TemplateProblems).problems;
}

describe('Email templates (files, eta and MJML)', () => {
  let templates: FileEmailTemplates;
  const dirs: string[] = [];
  const dir = (files: Record<string, string>): string => {
    const made = templatesDir(files);
    dirs.push(made);
    return made;
  };
  before(async () => {
    templates = await builtInTemplates();
  });
  after(() => {
    for (const made of dirs) rmSync(made, { recursive: true, force: true });
  });

  describe('the built-in templates', () => {
    it('compile for every kind in every shipped language, and each renders a whole email in its language', async () => {
      expect(templates.languages).to.deep.equal(SHIPPED_LANGUAGES);
      for (const kind of NOTIFICATION_KINDS)
        for (const language of SHIPPED_LANGUAGES) {
          const notification = sampleNotification(kind, language);
          const email = templates.render(notification, addressing(notification));
          const mail = await received(email);
          expect(mail.headers.get('content-language'), `${kind} ${language}`).to.equal(language);
          expect(mail.subject, `${kind} ${language}`).to.be.a('string').that.includes('A-1001');
          expect(mail.html, `${kind} ${language}`).to.be.a('string').that.matches(new RegExp(`<html lang="${language}"`));
          expect(mail.html).to.not.include('{{');
          expect(mail.html, 'no web font or stylesheet fetched when the email is opened').to.not.match(/<link\s|@import/);
          expect(mail.text, `${kind} ${language}`).to.include('A-1001').and.include(notification.internalId);
          expect(mail.text, 'no markup in the plain-text part').to.not.match(/<\/?[a-z][^>]*>|&(?:amp|lt|gt|quot);/i);
          expect(mail.text, 'no line of the template left blank twice').to.not.match(/\n\s*\n\s*\n/);
        }
    });

    it('write the confirmation with its items, date, reference and identity, parsed as a mail client would', async () => {
      const event = createdEvent({ orderId: 'A-1001', itemIds: ['sku-1', 'sku-2'] });
      const notification = orderConfirmation(event);
      const mail = await received(templates.render(notification, addressing(notification)));
      expect(mail.subject).to.equal('Order A-1001 received');
      expect(mail.messageId).to.equal(`<order-created-${event.payload.id}@shop.test>`);
      expect(mail.headers.get('x-order-id')).to.equal('A-1001');
      expect(mail.headers.get('x-correlation-id')).to.equal('corr-1');
      const lines = (mail.text ?? '').split('\n');
      expect(lines).to.include.members(['Thank you for your order A-1001.', 'Items:', '  - sku-1', '  - sku-2', 'Placed: November 24, 2026 at 12:00 PM UTC', `Reference: ${event.payload.id}`, 'We will let you know when it ships.']);
      expect(mail.html).to.match(/<li>sku-1<\/li><li>sku-2<\/li>/);
      expect(mail.html, 'the inbox preview line lists the items with Intl.ListFormat').to.include('2 items: sku-1 and sku-2');
    });

    it('link the tracking page of a shipped order over https, in the HTML and the text', async () => {
      const trackingUrl = "https://track.example.com/p?id=1&x='2'";
      const notification = statusUpdate(statusEvent('shipped', { carrier: 'DHL', trackingUrl }));
      const mail = await received(templates.render(notification, addressing(notification)));
      expect(linksOf(mail.html || '')).to.deep.equal([trackingUrl]);
      expect(mail.html).to.include(`href="${escapeHtml(trackingUrl)}"`);
      const lines = (mail.text ?? '').split('\n');
      expect(lines).to.include.members(['Carrier: DHL', `Track it: ${trackingUrl}`]);
      expect(lines[lines.indexOf('Carrier: DHL') + 1], 'a line per fact, none left blank between').to.equal(`Track it: ${trackingUrl}`);
    });

    it('link nothing but https pages and the support address', async () => {
      const shop = { ...DEFAULT_TEMPLATE_OPTIONS.shop, supportEmail: 'help@shop.example', logoUrl: 'https://cdn.shop.example/logo.png' };
      const branded = await FileEmailTemplates.load({ ...DEFAULT_TEMPLATE_OPTIONS, shop });
      for (const kind of NOTIFICATION_KINDS)
        for (const language of SHIPPED_LANGUAGES) {
          const notification = sampleNotification(kind, language);
          const mail = await received(branded.render(notification, addressing(notification)));
          for (const link of linksOf(mail.html || '')) expect(link, `${kind} ${language}`).to.match(/^(?:https:\/\/|mailto:help@shop\.example$)/);
          expect(linksOf(mail.html || ''), `${kind} ${language}`).to.include('mailto:help@shop.example');
          expect(mail.html).to.include('src="https://cdn.shop.example/logo.png"');
          expect(mail.text).to.include('help@shop.example');
        }
    });

    it('escape what an order carries in the HTML and keep it as it is in the text', async () => {
      const hostile = '<script>alert(1)</script> & "Tom"';
      const created = orderConfirmation(createdEvent({ orderId: 'A<b>1</b>', itemIds: [hostile, "O'Brien"] }));
      const mail = await received(templates.render(created, addressing(created)));
      expect(mail.html).to.not.match(/<script>|<b>1<\/b>/);
      expect(mail.html).to.include(escapeHtml(hostile)).and.include('O&#39;Brien').and.include('A&lt;b&gt;1&lt;/b&gt;');
      expect(mail.text).to.include(`  - ${hostile}`).and.include('Thank you for your order A<b>1</b>.');
      const cancelled = statusUpdate(statusEvent('cancelled', { carrier: '<i>x</i>', note: '"quoted" & <i>' }));
      const status = await received(templates.render(cancelled, addressing(cancelled)));
      expect(status.html).to.not.match(/<i>/);
      expect(status.html).to.include('&quot;quoted&quot; &amp; &lt;i&gt;');
      expect(status.text).to.include('Note: "quoted" & <i>');
    });
  });

  describe('languages', () => {
    it('write an order in de-DE in German, with a German date, from the de templates', async () => {
      const notification = orderConfirmation(createdEvent({ orderId: 'A-7', itemIds: ['Kaffee', 'Tee', 'Kakao'], locale: 'de-DE' }));
      const mail = await received(templates.render(notification, addressing(notification)));
      expect(mail.subject).to.equal('Bestellung A-7 eingegangen');
      expect(mail.headers.get('content-language')).to.equal('de');
      expect(mail.text).to.include('Vielen Dank für Ihre Bestellung A-7.').and.include('Bestellt am: 24. November 2026 um 12:00 UTC');
      expect(mail.html).to.include('3 Artikel: Kaffee, Tee und Kakao');
    });

    it('tell a status change in the order\'s language too (the event carries it)', async () => {
      const notification = statusUpdate(statusEvent('shipped', { locale: 'de-DE', carrier: 'DHL', trackingUrl: 'https://track.example.com/p/1' }));
      const mail = await received(templates.render(notification, addressing(notification)));
      expect(mail.subject).to.equal('Bestellung A-1 wurde versandt');
      expect(mail.text).to.include('Versanddienstleister: DHL').and.include('Aktualisiert am: 15. Januar 2026 um 08:30 UTC');
      expect(mail.html).to.match(/>\s*Sendung verfolgen\s*</);
    });

    it('write dates as the order\'s region does when the templates are of its language: de-AT says Jänner', () => {
      const notification = statusUpdate(statusEvent('delivered', { locale: 'de-AT' }));
      const email = templates.render(notification, addressing(notification));
      expect(email.headers['Content-Language']).to.equal('de');
      expect(email.text).to.include('15. Jänner 2026');
    });

    it('fall back de-CH-1996 → de-CH → de, then DEFAULT_LOCALE, then en', async () => {
      const inGerman = orderConfirmation(createdEvent({ locale: 'de-CH-1996' }));
      expect(templates.render(inGerman, addressing(inGerman)).headers['Content-Language']).to.equal('de');
      const inFrench = orderConfirmation(createdEvent({ locale: 'fr-FR' }));
      const english = templates.render(inFrench, addressing(inFrench));
      expect(english.headers['Content-Language']).to.equal('en');
      expect(english.text, 'an English email writes its date in English').to.include('Placed: November 24, 2026');
      const germanShop = await FileEmailTemplates.load({ ...DEFAULT_TEMPLATE_OPTIONS, defaultLocale: 'de-DE' });
      expect(germanShop.render(inFrench, addressing(inFrench)).subject).to.equal('Bestellung A-1 eingegangen');
      const noLocale = orderConfirmation(createdEvent());
      expect(germanShop.render(noLocale, addressing(noLocale)).text).to.include('24. November 2026');
    });

    it('write the shop\'s time zone into every date', async () => {
      const berlin = await FileEmailTemplates.load({ ...DEFAULT_TEMPLATE_OPTIONS, timeZone: 'Europe/Berlin' });
      const notification = orderConfirmation(createdEvent({ locale: 'de-DE' }));
      expect(berlin.render(notification, addressing(notification)).text).to.include('24. November 2026 um 13:00 MEZ');
    });
  });

  describe('TEMPLATES_DIR', () => {
    it('replaces a built-in template with a copied and edited one, and keeps the others', async () => {
      const override = dir({});
      mkdirSync(join(override, 'order-created'));
      cpSync(join(DEFAULT_TEMPLATE_OPTIONS.builtInDir, 'order-created', 'en.subject.eta'), join(override, 'order-created', 'en.subject.eta'));
      writeFileSync(join(override, 'order-created', 'en.subject.eta'), 'Your Kaffeehaus order {{= it.order.shortId }} is confirmed\n');
      const shop = await FileEmailTemplates.load({ ...DEFAULT_TEMPLATE_OPTIONS, overrideDir: override });
      expect(shop.overrides).to.deep.equal([join(override, 'order-created', 'en.subject.eta')]);
      const notification = orderConfirmation(createdEvent({ orderId: 'A-9' }));
      const email = shop.render(notification, addressing(notification));
      expect(email.subject).to.equal('Your Kaffeehaus order A-9 is confirmed');
      expect(email.text, 'the built-in text template still writes the body').to.include('Thank you for your order A-9.');
    });

    it('reads a folder mounted as Kubernetes mounts a ConfigMap: every entry a symbolic link into a hidden folder', async () => {
      const mount = dir({ '..data/order-created/en.subject.eta': 'Mounted: {{= it.order.shortId }}\n' });
      symlinkSync(join(mount, '..data', 'order-created'), join(mount, 'order-created'));
      const linked = dir({});
      mkdirSync(join(linked, 'order-created'));
      symlinkSync(join(mount, '..data', 'order-created', 'en.subject.eta'), join(linked, 'order-created', 'en.subject.eta'));
      for (const override of [mount, linked]) {
        const shop = await FileEmailTemplates.load({ ...DEFAULT_TEMPLATE_OPTIONS, overrideDir: override });
        const notification = orderConfirmation(createdEvent({ orderId: 'A-9' }));
        expect(shop.render(notification, addressing(notification)).subject, override).to.equal('Mounted: A-9');
      }
    });

    it('names a template file too large to be one, rather than reading it', async () => {
      const override = dir({ 'order-created/en.subject.eta': `{{= it.order.shortId }}${' '.repeat(300 * 1024)}` });
      expect((await problemsOf({ overrideDir: override })).join('\n')).to.match(/order-created\/en\.subject\.eta: \d+ bytes, more than the 262144 a template may have/);
    });

    it('adds a language: French for the confirmation, the default for the kinds it has no French for', async () => {
      const override = dir({
        'order-created/fr.subject.eta': 'Commande {{= it.order.shortId }} reçue',
        'order-created/fr.html.eta': '<p>Merci pour votre commande {{= it.order.id }}, passée le {{= it.order.placedAt }}.</p>',
        'order-created/fr.txt.eta': 'Merci pour votre commande {{= it.order.id }}, passée le {{= it.order.placedAt }}.',
      });
      const shop = await FileEmailTemplates.load({ ...DEFAULT_TEMPLATE_OPTIONS, overrideDir: override });
      expect(shop.languages).to.deep.equal(['de', 'en', 'fr']);
      const created = orderConfirmation(createdEvent({ orderId: '<A&1>', locale: 'fr-CA' }));
      const email = shop.render(created, addressing(created));
      expect(email.subject).to.equal('Commande <A&1> reçue');
      expect(email.html, 'an .html.eta template escapes too').to.equal('<p>Merci pour votre commande &lt;A&amp;1&gt;, passée le 24 novembre 2026 à 12 h 00 UTC.</p>');
      const shipped = statusUpdate(statusEvent('shipped', { locale: 'fr-CA' }));
      expect(shop.render(shipped, addressing(shipped)).headers['Content-Language']).to.equal('en');
    });

    it('refuses to start on broken templates, naming every file and line at once', async () => {
      const override = dir({
        'order-created/en.subject.eta': 'Order {{= it.order.shortId }',
        'order-shipped/en.txt.eta': 'Shipped.\n\n{{ if (it.change.carrier) { }}\nCarrier: {{= it.change.carrier }}\n{{ } ) }}\n',
        'order-delivered/en.html.mjml': '<mjml>\n  <mj-body>\n    <mj-section>\n      <mj-column>\n        <mj-text>Delivered</mj-text>\n        <mj-bogus />\n      </mj-column>\n    </mj-section>\n  </mj-body>\n</mjml>\n',
        'order-cancelled/fr.subject.eta': 'Commande {{= it.order.shortId }} annulée',
        'order-cancelled/de_DE.txt.eta': 'x',
        'order-cancelled/en.html.txt': 'x',
        'order-canceled/en.subject.eta': 'x',
      });
      const problems = await problemsOf({ overrideDir: override });
      const at = (path: string) => join(override, path);
      expect(problems, problems.join("\n")).to.have.length(7);
      expect(problems).to.include(`${at('order-created/en.subject.eta')}:1:7: unclosed tag`);
      expect(problems.find((p) => p.startsWith(`${at('order-shipped/en.txt.eta')}:5: `)), 'the line of the JavaScript syntax error').to.match(/Unexpected token '\)' in the code of a \{\{ \}\} tag$/);
      expect(problems.find((p) => p.startsWith(`${at('order-delivered/en.html.mjml')}:6: `))).to.match(/mj-bogus/);
      expect(problems.find((p) => p.startsWith(at('order-cancelled/fr.subject.eta')))).to.include('fr.html.mjml (or .html.eta) and fr.txt.eta missing');
      expect(problems.find((p) => p.startsWith(at('order-cancelled/de_DE.txt.eta')))).to.include('is not a BCP 47 language tag');
      expect(problems.find((p) => p.startsWith(at('order-cancelled/en.html.txt')))).to.include('not a template');
      expect(problems.find((p) => p.startsWith(at('order-canceled')))).to.include('not a notification kind');
    });

    it('refuses a TEMPLATES_DIR that is no directory, two HTML templates for one language, and a DEFAULT_LOCALE without templates', async () => {
      expect(await problemsOf({ overrideDir: '/nonexistent/templates' })).to.deep.equal(['TEMPLATES_DIR: /nonexistent/templates is not a directory']);
      const twice = dir({ 'order-created/en.html.eta': '<p>{{= it.order.id }}</p>', 'order-created/en.html.mjml': '<mjml><mj-body></mj-body></mjml>' });
      expect((await problemsOf({ overrideDir: twice })).join('\n')).to.match(/is the html template of en already; keep one of them/);
      expect((await problemsOf({ defaultLocale: 'fr' })).join('\n')).to.match(/^DEFAULT_LOCALE fr: no order-created templates in it or its parent language/);
    });

    it("drops the indentation MJML writes, and keeps the whitespace of a template whose HTML preserves it", async () => {
      const builtIn = await builtInTemplates();
      const created = orderConfirmation(createdEvent());
      const html = builtIn.render(created, addressing(created)).html ?? '';
      expect(html, 'no line starts with spaces').to.not.match(/\n[ \t]/);
      expect(html).to.include('A-1');
      const preformatted = dir({
        'order-delivered/en.html.mjml':
          '<mjml>\n  <mj-body>\n    <mj-section>\n      <mj-column>\n        <mj-text><pre>\n    Delivered:\n      {{= it.order.id }}\n</pre></mj-text>\n      </mj-column>\n    </mj-section>\n  </mj-body>\n</mjml>\n',
      });
      const shop = await FileEmailTemplates.load({ ...DEFAULT_TEMPLATE_OPTIONS, overrideDir: preformatted });
      const delivered = statusUpdate(statusEvent('delivered', { orderId: 'B-7' }));
      expect(shop.render(delivered, addressing(delivered)).html).to.include('\n    Delivered:\n      B-7\n');
    });

    it('makes a template that fails on one order an EmailRenderError naming its file and line, not a crash', async () => {
      const override = dir({
        'order-shipped/en.txt.eta': 'Shipped.\n{{= it.change.carrier.toUpperCase() }}\n',
        'order-delivered/en.html.mjml': '<mjml>\n  <mj-body>\n    <mj-section>\n      <mj-column>\n        <mj-text>{{= it.change.note.length }}</mj-text>\n      </mj-column>\n    </mj-section>\n  </mj-body>\n</mjml>\n',
      });
      const shop = await FileEmailTemplates.load({ ...DEFAULT_TEMPLATE_OPTIONS, overrideDir: override });
      const withCarrier = statusUpdate(statusEvent('shipped', { carrier: 'dhl' }));
      expect(shop.render(withCarrier, addressing(withCarrier)).text).to.equal('Shipped.\nDHL');
      const without = statusUpdate(statusEvent('shipped'));
      const error = (() => {
        try {
          shop.render(without, addressing(without));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).to.be.instanceOf(EmailRenderError);
      expect((error as EmailRenderError).code).to.equal('EMAIL_RENDER_FAILED');
      expect((error as EmailRenderError).message).to.equal(`the email template ${join(override, 'order-shipped/en.txt.eta')}:2 failed: TypeError: Cannot read properties of undefined (reading 'toUpperCase')`);
      const delivered = statusUpdate(statusEvent('delivered'));
      expect(() => shop.render(delivered, addressing(delivered))).to.throw(
        EmailRenderError,
        new RegExp(`^the email template ${join(override, 'order-delivered/en.html.mjml')} \\(line \\d+ of the HTML MJML made of it\\) failed: TypeError: Cannot read properties of undefined \\(reading 'length'\\)$`),
      );
    });
  });

  describe('a property: nothing an order carries reaches the HTML unescaped', () => {
    /** Text an order may carry, with markup, quotes, entities and template syntax mixed in. */
    const hostileText = (maxLength: number) =>
      fc
        .array(fc.oneof(fc.constantFrom('<x-inject>', '"x-inject="', "'x-inject='", '</li><li>', '&amp;', '&', '{{= it.shop.name }}', '{{ throw 1 }}', '<!--', ']]>', '${1}'), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 6 })
        .map((parts) => parts.join('').trim().slice(0, maxLength).trim())
        .filter((text) => Order.check({ orderId: text }).length === 0);
    const trackingUrl = fc.stringMatching(/^[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{0,40}$/).map((tail) => `https://track.example.com/${tail}`);
    const anEmailOf = fc.oneof(
      fc.record({ kind: fc.constant('order-created' as const), orderId: hostileText(128), items: fc.array(hostileText(128), { minLength: 1, maxLength: 4 }), language: fc.constantFrom('en', 'de-DE') }),
      fc.record({
        kind: fc.constantFrom('shipped', 'delivered', 'cancelled'),
        orderId: hostileText(128),
        carrier: hostileText(100),
        note: hostileText(500),
        trackingUrl,
        language: fc.constantFrom('en', 'de-DE'),
      }),
    );

    it('holds for every kind in every shipped language: markup escaped in the HTML, the text as it was, the subject one line', () => {
      fc.assert(
        fc.property(anEmailOf, (input) => {
          let notification: Notification;
          let shown: string[];
          if (input.kind === 'order-created') {
            notification = orderConfirmation(createdEvent({ orderId: input.orderId, itemIds: input.items, locale: input.language }));
            shown = [input.orderId, ...input.items];
          } else {
            fc.pre(checkStatusChange({ carrier: input.carrier, note: input.note, trackingUrl: input.trackingUrl }).length === 0);
            notification = statusUpdate(statusEvent(input.kind, { orderId: input.orderId, carrier: input.carrier, note: input.note, trackingUrl: input.trackingUrl, locale: input.language }));
            shown = [input.orderId, input.carrier, input.note];
          }
          const email = templates.render(notification, addressing(notification));
          expect(email.html).to.not.match(/<x-inject|["']x-inject=/);
          for (const value of shown) {
            expect(email.html).to.include(escapeHtml(value));
            expect(email.text).to.include(value);
          }
          if (input.kind !== 'order-created') expect(linksOf(email.html)).to.deep.equal([input.trackingUrl]);
          expect(email.subject).to.not.match(/[\r\n]/);
        }),
        { numRuns: 200 },
      );
    });
  });
});
