import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { WebhookReceiver } from '../../scripts/webhook-receiver.js';
import { eventually, startRole, type RunningProcess } from '../support/processes.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import { kindsByOrder, kindsFor, misidentified, type ReceivedEmail } from '../support/status-emails.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

async function listening(process: RunningProcess): Promise<string> {
  const line = await process.waitForLine((l) => l.msg === 'http server listening', 'the http server', 60_000);
  return `http://127.0.0.1:${String(line.port)}`;
}

async function post(base: string, body: object): Promise<number> {
  const response = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response.status;
}

/** The lines `npm start` prints for a person, once they are all there. */
async function welcome(process: RunningProcess): Promise<string> {
  return eventually(async () => {
    const text = process.stderr.join('');
    return /health: /.test(text) && text;
  }, 'the welcome lines on stderr');
}

async function changeStatus(base: string, orderId: string, change: object): Promise<number> {
  const response = await fetch(`${base}/orders/${orderId}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(change) });
  return response.status;
}

async function internalId(base: string, orderId: string): Promise<string> {
  return ((await (await fetch(`${base}/orders/${orderId}`)).json()) as { data: { internalId: string } }).data.internalId;
}

/** The statuses of every notification of an order, in their order. */
async function notificationStatuses(base: string, orderId: string): Promise<string[]> {
  return ((await (await fetch(`${base}/orders/${orderId}`)).json()) as { data: { notifications: { status: string }[] } }).data.notifications.map((n) => n.status);
}

/** The embedded inbox, oldest first. */
async function inboxMessages(base: string): Promise<ReceivedEmail[]> {
  const newestFirst = (await (await fetch(`${base}/admin/inbox/api/messages`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as ReceivedEmail[];
  return newestFirst.reverse();
}

async function notificationStatus(base: string, orderId: string): Promise<string> {
  return ((await (await fetch(`${base}/orders/${orderId}`)).json()) as { data: { notification: { status: string } } }).data.notification.status;
}

describe('npm start: the single-process mode', function () {
  this.timeout(120_000);
  let dataDir: string;
  const running: RunningProcess[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'ordermail-e2e-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
    rmSync(dataDir, { recursive: true, force: true });
  });

  function start(env: Record<string, string> = {}): RunningProcess {
    const process = startRole('all', { PORT: '0', INBOX_SMTP_PORT: '0', DATA_DIR: dataDir, ADMIN_TOKEN, ...env });
    running.push(process);
    return process;
  }

  it('emails an order into the embedded inbox, and keeps its data across a restart', async () => {
    let app = start();
    let base = await listening(app);
    expect(await post(base, { orderId: 'E-1', itemId: ['sku-1'], email: 'ada@example.com' })).to.equal(202);
    await eventually(async () => (await notificationStatus(base, 'E-1')) === 'sent', 'the email to be sent', 10_000);
    const inbox = (await (await fetch(`${base}/admin/inbox/api/messages`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { to: string[]; subject: string }[];
    expect(inbox.map((m) => m.to)).to.deep.equal([['ada@example.com']]);
    expect(inbox[0]?.subject).to.equal('Order E-1 received');

    expect(await app.stop('SIGTERM')).to.equal(0);
    app = start();
    base = await listening(app);
    expect(await notificationStatus(base, 'E-1')).to.equal('sent');
    expect(await post(base, { orderId: 'E-1', itemId: ['sku-1'] })).to.equal(409);
  });

  it('puts one email per status into the embedded inbox, in order: created, shipped, delivered; and created, cancelled', async () => {
    const app = start();
    const base = await listening(app);
    expect(await post(base, { orderId: 'S-1', itemId: ['sku-1'], email: 'ada@example.com' })).to.equal(202);
    expect(await changeStatus(base, 'S-1', { status: 'shipped', carrier: 'DHL', trackingUrl: 'https://track.example.com/p/S-1' })).to.equal(202);
    expect(await changeStatus(base, 'S-1', { status: 'delivered' })).to.equal(202);
    expect(await post(base, { orderId: 'S-2', itemId: ['sku-2'], email: 'bob@example.com' })).to.equal(202);
    expect(await changeStatus(base, 'S-2', { status: 'cancelled' })).to.equal(202);
    expect(await changeStatus(base, 'S-2', { status: 'cancelled' }), 'a repeat: no second event').to.equal(200);

    await eventually(
      async () => {
        const [first, second] = [await notificationStatuses(base, 'S-1'), await notificationStatuses(base, 'S-2')];
        return first.length === 3 && second.length === 2 && [...first, ...second].every((status) => status === 'sent');
      },
      'the five notifications to be sent',
      15_000,
    );
    const inbox = await inboxMessages(base);
    expect(kindsByOrder(inbox)).to.deep.equal({ 'S-1': kindsFor(['shipped', 'delivered']), 'S-2': kindsFor(['cancelled']) });
    const internalIds = new Map([
      ['S-1', await internalId(base, 'S-1')],
      ['S-2', await internalId(base, 'S-2')],
    ]);
    expect(misidentified(inbox, internalIds, 'ordermail.local')).to.deep.equal([]);
  });

  it('after a SIGKILL between two status events, emails the order once per status and in order', async () => {
    const smtp = await SmtpTestServer.start();
    try {
      // A short lease: when the kill lands between the 451 and its record in the ledger, the claim is taken over in 2 s, not 60.
      let app = start({ SMTP_URL: smtp.url, NOTIFY_LEASE_MS: '2000' });
      let base = await listening(app);
      expect(await post(base, { orderId: 'K-2', itemId: ['x'], email: 'kay@example.com' })).to.equal(202);
      await smtp.waitFor(1, 10_000);
      smtp.script({ to: 'kay@example.com', code: 451, times: 1 });
      expect(await changeStatus(base, 'K-2', { status: 'shipped', carrier: 'DHL' })).to.equal(202);
      await eventually(async () => smtp.replies.some((reply) => reply.code === 451), 'the first, failing attempt of the shipped email');
      await app.stop('SIGKILL');
      app = start({ SMTP_URL: smtp.url, NOTIFY_RETRY_BASE_MS: '100' });
      base = await listening(app);
      expect(await changeStatus(base, 'K-2', { status: 'delivered' })).to.equal(202);
      await eventually(
        async () => {
          const statuses = await notificationStatuses(base, 'K-2');
          return statuses.length === 3 && statuses.every((status) => status === 'sent');
        },
        'the three notifications of K-2 to be sent',
        20_000,
      );
      expect(kindsByOrder(smtp.messages)).to.deep.equal({ 'K-2': kindsFor(['shipped', 'delivered']) });
    } finally {
      await smtp.stop();
    }
  });

  it('prints the admin token it made up, and never one the operator configured', async () => {
    const configured = start();
    const printed = await welcome(configured);
    expect(printed).not.to.contain(ADMIN_TOKEN);
    expect(printed).to.contain('/admin?token=<your ADMIN_TOKEN>');
    await configured.stop('SIGTERM');

    const generated = start({ ADMIN_TOKEN: '' });
    const base = await listening(generated);
    const token = /\/admin\?token=([\w%-]+)/.exec(await welcome(generated))?.[1];
    expect(token).to.be.a('string').with.length.above(16);
    const signIn = await fetch(`${base}/admin?token=${token}`, { redirect: 'manual' });
    expect(signIn.status).to.equal(302);
    expect(signIn.headers.get('location')).to.equal('/admin');
  });

  it('sends an order accepted just before a SIGKILL after the restart, exactly once', async () => {
    const smtp = await SmtpTestServer.start();
    try {
      // A short lease: when the kill lands between the 451 and its record in the ledger, the claim is taken over in 2 s, not 60.
      let app = start({ SMTP_URL: smtp.url, NOTIFY_LEASE_MS: '2000' });
      let base = await listening(app);
      smtp.script({ to: 'slow@example.com', code: 451, times: 1 });
      expect(await post(base, { orderId: 'K-1', itemId: ['x'], email: 'slow@example.com' })).to.equal(202);
      await eventually(async () => smtp.replies.length > 0, 'the first, failing attempt');
      await app.stop('SIGKILL');
      app = start({ SMTP_URL: smtp.url, NOTIFY_RETRY_BASE_MS: '100' });
      base = await listening(app);
      await smtp.waitFor(1, 20_000);
      await eventually(async () => (await notificationStatus(base, 'K-1')) === 'sent', 'K-1 to be sent after the restart', 20_000);
      expect(smtp.messages).to.have.length(1);
    } finally {
      await smtp.stop();
    }
  });

  describe('the admin page, in Chromium', () => {
    let browser: Browser;
    before(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      }).catch((error: unknown) => {
        throw new Error(`Chromium is needed for the admin page test: apt-get install chromium (or set CHROMIUM_PATH). ${(error as Error).message}`, { cause: error });
      });
    });
    after(() => browser?.close());

    /** Every console error and CSP violation the page reports from now on. */
    async function watchForViolations(page: Page): Promise<string[]> {
      const problems: string[] = [];
      page.on('console', (message) => {
        // The browser asks for /favicon.ico on its own; there is none.
        if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) problems.push(`console: ${message.text()} (${message.location().url})`);
      });
      page.on('pageerror', (error) => problems.push(`page: ${error.message}`));
      await page.exposeFunction('reportViolation', (text: string) => problems.push(`csp: ${text}`));
      await page.addInitScript({
        content: "document.addEventListener('securitypolicyviolation', (event) => window.reportViolation(event.violatedDirective + ' blocked ' + event.blockedURI));",
      });
      return problems;
    }

    /** Whether the whole element is inside the window: what the user sees without scrolling. */
    async function inView(locator: Locator): Promise<boolean> {
      const box = await locator.boundingBox(); // relative to the window
      const height = locator.page().viewportSize()?.height ?? 0;
      return box !== null && box.y >= -1 && box.y + box.height <= height + 1; // a pixel of rounding either way
    }

    /** A page on another port of the same host: same site (a SameSite=Strict cookie goes along), another origin. */
    async function otherOrigin(html: string): Promise<{ url: string; server: Server }> {
      const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(html));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, server };
    }

    it('shows each notification turning sent (through which SMTP provider), filters them, and replays dead ones (a confirmation, a shipping email) with their button', async () => {
      const smtp = await SmtpTestServer.start();
      try {
        smtp.script({ to: 'bounce-once@example.com', code: 550, message: '5.1.1 unknown mailbox', times: 1 });
        const app = start({ SMTP_URL: smtp.url });
        const base = await listening(app);
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();

        expect((await page.goto(`${base}/admin`))?.status()).to.equal(401);
        const problems = await watchForViolations(page);
        await page.goto(`${base}/admin?token=${ADMIN_TOKEN}`);
        expect(page.url()).to.equal(`${base}/admin`);

        expect(await post(base, { orderId: 'B-1', itemId: ['sku-1'], email: 'ada@example.com' })).to.equal(202);
        const row = page.locator('#notifications tr[data-order-id="B-1"][data-kind="order-created"]');
        await row.waitFor({ timeout: 10_000 });
        await row.locator('.badge', { hasText: 'sent' }).waitFor({ timeout: 10_000 });
        await row.getByText(`127.0.0.1:${smtp.port}`, { exact: true }).waitFor({ timeout: 5000 }); // the provider that took it

        expect(await post(base, { orderId: 'B-2', itemId: ['sku-2'], email: 'bounce-once@example.com' })).to.equal(202);
        const letter = page.locator('#dead-letters tr[data-order-id="B-2"][data-kind="order-created"]');
        await letter.waitFor({ timeout: 10_000 });
        expect(await letter.textContent()).to.contain('550');

        // The classic cross-site request forgery: a form that posts itself.
        const evil = await otherOrigin(`<form method="post" action="${base}/admin/api/notifications/B-2/order-created/email/replay"></form><script>document.forms[0].submit()</script>`);
        try {
          const attacker = await context.newPage();
          const refused = attacker.waitForResponse((r) => r.url().endsWith('/admin/api/notifications/B-2/order-created/email/replay'));
          await attacker.goto(evil.url);
          const response = await refused;
          await attacker.waitForURL(response.url());
          // Not 401: the session cookie went along (another port is the same site, so SameSite=Strict lets it); the origin check refused it.
          expect(response.status()).to.equal(403);
          expect(await attacker.textContent('body')).to.contain('ADMIN_CROSS_ORIGIN');
          await attacker.close();
        } finally {
          evil.server.close();
        }
        expect(await letter.count()).to.equal(1);

        await letter.getByRole('button', { name: 'Replay' }).click();
        await page.locator('#notifications tr[data-order-id="B-2"][data-kind="order-created"] .badge', { hasText: 'sent' }).waitFor({ timeout: 15_000 });
        await letter.waitFor({ state: 'detached', timeout: 10_000 });
        expect(smtp.messages.map((m) => m.to[0]).sort()).to.deep.equal(['ada@example.com', 'bounce-once@example.com']);
        expect(await letter.count()).to.equal(0);

        // B-1 ships; its shipping email bounces once, is dead, and is replayed by its own button.
        smtp.script({ to: 'ada@example.com', code: 550, message: '5.2.2 mailbox full', times: 1 });
        const shipped = await fetch(`${base}/orders/B-1/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'shipped', carrier: 'DHL', trackingUrl: 'https://track.example/B-1' }) });
        expect(shipped.status).to.equal(202);
        const shippingLetter = page.locator('#dead-letters tr[data-order-id="B-1"][data-kind="order-shipped"]');
        await shippingLetter.waitFor({ timeout: 10_000 });
        expect(await shippingLetter.textContent()).to.contain('mailbox full');
        const shippingRow = page.locator('#notifications tr[data-order-id="B-1"][data-kind="order-shipped"]');
        expect(await shippingRow.textContent()).to.contain('shipped').and.contain('recipient-rejected');
        await shippingLetter.getByRole('button', { name: 'Replay' }).click();
        await shippingRow.locator('.badge', { hasText: 'sent' }).waitFor({ timeout: 15_000 });
        await shippingLetter.waitFor({ state: 'detached', timeout: 10_000 });
        expect(smtp.messages.map((m) => m.subject)).to.have.length(3);

        // The kind filter keeps the shipping email and drops the confirmations.
        await page.locator('#filters select[name="kind"]').selectOption('order-shipped');
        await row.waitFor({ state: 'detached', timeout: 10_000 });
        expect(await shippingRow.count()).to.equal(1);
        await page.locator('#filters select[name="kind"]').selectOption('');
        await row.waitFor({ timeout: 10_000 });
        expect(problems).to.deep.equal([]);

        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOTS, 'admin-page.png'), fullPage: true });
        await context.close();
      } finally {
        await smtp.stop();
      }
    });

    it('registers the local receiver with one click, which verifies a delivery of each event; registers, disables, enables, rotates and deletes an endpoint', async () => {
      const printed: string[] = [];
      const receiver = await WebhookReceiver.start({ port: 0, print: (line) => printed.push(line) });
      try {
        const app = start({ RECEIVER_PORT: String(receiver.port) });
        const base = await listening(app);
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const problems = await watchForViolations(page);
        await page.goto(`${base}/admin?token=${ADMIN_TOKEN}`);
        const message = page.locator('#webhook-message');
        const secret = page.locator('#webhook-secret');
        await page.locator('#no-webhook-endpoints').waitFor();

        await page.getByRole('button', { name: 'Register the local receiver' }).click();
        const receiverRow = page.locator('#webhook-endpoints tr', { hasText: receiver.url });
        await receiverRow.waitFor();
        expect(await message.textContent()).to.equal('The receiver has the secret: it verifies every delivery it gets.');
        expect(await message.getAttribute('class')).not.to.contain('error');
        const endpointId = (await receiverRow.getAttribute('data-endpoint-id')) ?? '';
        expect(endpointId).to.match(/^ep_[0-9a-f]{24}$/);
        expect(await secret.isVisible()).to.equal(true);
        expect(await page.locator('#webhook-secret-value').textContent()).to.equal(receiver.secrets.get(endpointId));
        expect(await receiverRow.textContent()).to.contain('order.created, order.shipped, order.delivered, order.cancelled').and.contain('enabled');
        await page.getByRole('button', { name: 'Done' }).click();
        expect(await secret.isHidden()).to.equal(true);
        expect(await page.locator('#webhook-secret-value').textContent(), 'the secret leaves the page').to.equal('');

        expect(await post(base, { orderId: 'W-1', itemId: ['sku-1'], email: 'ada@example.com' })).to.equal(202);
        expect(await changeStatus(base, 'W-1', { status: 'shipped', carrier: 'DHL', trackingUrl: 'https://track.example.com/p/W-1' })).to.equal(202);
        const verified = (): string[] => printed.filter((line) => line.includes(`verified (${endpointId})`)).map((line) => line.split(/ {2}/).slice(3).join('  '));
        await eventually(async () => verified().length === 2, 'two verified deliveries at the receiver', 15_000);
        expect(verified()).to.deep.equal(['order.created  order W-1  status created', 'order.shipped  order W-1  status shipped']);
        expect(printed.filter((line) => /NOT VERIFIED|duplicate|error/.test(line))).to.deep.equal([]);
        const deliveries = page.locator(`#notifications tr[data-order-id="W-1"][data-channel="webhook"][data-endpoint-id="${endpointId}"]`);
        await deliveries.locator('.badge', { hasText: 'sent' }).nth(1).waitFor({ timeout: 10_000 });
        await eventually(async () => (await inboxMessages(base)).length === 2, 'two emails in the embedded inbox', 10_000);
        expect(kindsByOrder(await inboxMessages(base))).to.deep.equal({ 'W-1': kindsFor(['shipped']) });

        // A list long enough that the form, and a row's buttons, are a screen away from where an action's outcome shows.
        for (let shop = 1; shop <= 20; shop++) {
          const seeded = await fetch(`${base}/admin/api/webhooks`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify({ url: `https://localhost:9/shop-${shop}`, events: ['order.cancelled'] }),
          });
          expect(seeded.status).to.equal(201);
        }
        await page.reload();
        await page.locator('#webhook-endpoints tr').nth(20).waitFor();

        // A host under .invalid resolves nowhere (RFC 6761), with or without DNS: the form says so, by the field.
        const form = page.locator('#webhook-form');
        const formError = page.locator('#webhook-form-error');
        await form.getByLabel('url').fill('https://hooks.ordermail-e2e.invalid/orders');
        await form.getByRole('button', { name: 'Register', exact: true }).click();
        await formError.waitFor();
        expect(await formError.textContent()).to.equal('url host "hooks.ordermail-e2e.invalid" does not resolve');
        expect(await form.getByLabel('url').getAttribute('aria-invalid')).to.equal('true');
        expect(await inView(formError)).to.equal(true);
        expect(await form.getByLabel('url').inputValue(), 'the form keeps what was typed').to.equal('https://hooks.ordermail-e2e.invalid/orders');

        // Every value from the API is text: a description with markup is shown as written, and runs nothing.
        const markup = '<img src=x onerror="document.title=\'xss\'">shop <b>A</b>';
        const url = 'https://localhost:9/orders?shop=A';
        await form.getByLabel('url').fill(url);
        await form.getByLabel('description').fill(markup);
        await form.getByLabel('order.delivered').uncheck();
        await form.getByLabel('order.cancelled').uncheck();
        await form.getByRole('button', { name: 'Register', exact: true }).click();
        const formRow = page.locator('#webhook-endpoints tr', { hasText: url });
        await formRow.waitFor();
        expect(await message.isHidden()).to.equal(true);
        expect(await formError.isHidden()).to.equal(true);
        expect(await form.getByLabel('url').getAttribute('aria-invalid')).to.equal(null);
        expect(await inView(secret), 'the new secret, above the list').to.equal(true);
        const firstSecret = (await page.locator('#webhook-secret-value').textContent()) ?? '';
        expect(firstSecret).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
        expect(await page.locator('#webhook-secret-title').textContent()).to.equal(`Signing secret of ${url}`);
        expect(await formRow.textContent()).to.contain('order.created, order.shipped').and.not.contain('order.delivered');
        expect(await formRow.locator('td.url .muted').textContent()).to.equal(markup);
        expect(await page.locator('#webhook-endpoints img, #webhook-endpoints b').count()).to.equal(0);

        // In a narrow window the list scrolls sideways in its own box: the section clips nothing, and a URL stays readable.
        await page.setViewportSize({ width: 640, height: 900 });
        const layout = await page.locator('#webhooks').evaluate((section) => ({
          clipped: section.scrollWidth - section.clientWidth,
          urlWidth: section.querySelector('td.url')?.getBoundingClientRect().width ?? 0,
        }));
        expect(layout.clipped).to.equal(0);
        expect(layout.urlWidth).to.be.at.least(200);
        await page.setViewportSize({ width: 1280, height: 900 });
        expect(await form.getByLabel('url').inputValue(), 'the form is emptied').to.equal('');

        // A proxy's error page in place of the API's JSON: said as such, and the endpoint is left as it was.
        const disable = `${base}/admin/api/webhooks/${(await formRow.getAttribute('data-endpoint-id')) ?? ''}/disable`;
        await page.route(disable, (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<html><h1>502 Bad Gateway</h1></html>' }), { times: 1 });
        await formRow.getByRole('button', { name: 'Disable' }).click();
        await message.filter({ hasText: 'HTTP 502' }).waitFor();
        expect(await message.textContent()).to.equal('HTTP 502: not an answer of the admin API');
        expect(await message.getAttribute('class')).to.contain('error');
        expect(await formRow.locator('.badge').textContent()).to.equal('enabled');
        await formRow.getByRole('button', { name: 'Disable' }).click();
        await formRow.locator('.badge', { hasText: 'disabled' }).waitFor();
        expect(await message.textContent()).to.equal(`${url} is disabled: it receives nothing.`);
        expect(await inView(message)).to.equal(true);
        await formRow.getByRole('button', { name: 'Enable' }).click();
        await formRow.locator('.badge', { hasText: 'enabled' }).waitFor();
        expect(await message.textContent()).to.equal(`${url} is enabled.`);

        await formRow.getByRole('button', { name: 'Rotate secret' }).click();
        await page.locator('#webhook-secret-title', { hasText: `New signing secret of ${url}` }).waitFor();
        const rotated = (await page.locator('#webhook-secret-value').textContent()) ?? '';
        expect(rotated).to.match(/^whsec_/).and.not.equal(firstSecret);
        expect(await page.locator('#webhook-secret-note').textContent()).to.match(/^\(the previous one still signs until .+\)$/);
        await formRow.locator('td', { hasText: 'signs until' }).waitFor();
        expect(await inView(secret)).to.equal(true);
        await page.getByRole('button', { name: 'Done' }).click();
        await page.reload();
        await formRow.waitFor();
        expect(await secret.isHidden(), 'a secret is shown once').to.equal(true);
        expect(await page.content()).not.to.contain(rotated);

        const dialogs: string[] = [];
        page.once('dialog', (dialog) => void (dialogs.push(dialog.message()), dialog.dismiss()));
        const listedAgain = page.waitForResponse((r) => r.url() === `${base}/admin/api/webhooks` && r.request().method() === 'GET');
        await formRow.getByRole('button', { name: 'Delete' }).click();
        await listedAgain;
        expect(dialogs).to.deep.equal([`Delete the webhook endpoint ${url}? It receives nothing more, and this cannot be undone.`]);
        expect(await formRow.count(), 'kept when not confirmed').to.equal(1);
        page.once('dialog', (dialog) => void dialog.accept());
        await formRow.getByRole('button', { name: 'Delete' }).click();
        await formRow.waitFor({ state: 'detached' });
        expect(await message.textContent()).to.equal(`${url} is deleted.`);

        const listed = (await (await fetch(`${base}/admin/api/webhooks`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { endpoints: { id: string; url: string }[] };
        expect(listed.endpoints.map((e) => e.id)).to.include(endpointId).and.have.length(21);
        expect(listed.endpoints.map((e) => e.url)).not.to.include(url);
        expect(await page.title()).to.equal('ordermail · admin');
        // Chromium logs every failed answer to a fetch: here the one refusing the .invalid host and the proxy's, no other.
        expect(problems).to.deep.equal([
          `console: Failed to load resource: the server responded with a status of 400 (Bad Request) (${base}/admin/api/webhooks)`,
          `console: Failed to load resource: the server responded with a status of 502 (Bad Gateway) (${disable})`,
        ]);
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOTS, 'admin-page-webhooks.png'), fullPage: true });
        await page.close();
      } finally {
        await receiver.stop();
      }
    });

    it('shows the embedded inbox, its email included, under the same policy', async () => {
      const app = start();
      const base = await listening(app);
      expect(await post(base, { orderId: 'I-1', itemId: ['sku-1'], email: 'ada@example.com' })).to.equal(202);
      await eventually(async () => (await notificationStatus(base, 'I-1')) === 'sent', 'the email to be sent', 10_000);
      const page = await browser.newPage();
      const problems = await watchForViolations(page);
      await page.goto(`${base}/inbox?token=${ADMIN_TOKEN}`);
      expect(page.url()).to.equal(`${base}/admin/inbox`);
      await page.getByRole('heading', { name: 'Order I-1 received' }).waitFor();
      const email = page.frameLocator('iframe[title^="email"]');
      await email.getByText('Thank you for your order I-1').waitFor();
      await page.getByRole('link', { name: 'admin' }).click();
      await page.locator('#notifications tr[data-order-id="I-1"] .badge', { hasText: 'sent' }).waitFor({ timeout: 10_000 });
      await page.locator('#inbox-link').waitFor();
      expect(problems).to.deep.equal([]);
      await page.close();
    });
  });
});
