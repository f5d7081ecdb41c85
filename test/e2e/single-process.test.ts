import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { eventually, startRole, type RunningProcess } from '../support/processes.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';

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
    const inbox = (await (await fetch(`${base}/inbox/api/messages`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { to: string[]; subject: string }[];
    expect(inbox.map((m) => m.to)).to.deep.equal([['ada@example.com']]);
    expect(inbox[0]?.subject).to.equal('Order E-1 received');

    expect(await app.stop('SIGTERM')).to.equal(0);
    app = start();
    base = await listening(app);
    expect(await notificationStatus(base, 'E-1')).to.equal('sent');
    expect(await post(base, { orderId: 'E-1', itemId: ['sku-1'] })).to.equal(409);
  });

  it('sends an order accepted just before a SIGKILL after the restart, exactly once', async () => {
    const smtp = await SmtpTestServer.start();
    try {
      let app = start({ SMTP_URL: smtp.url });
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

    it('shows a new order turning sent, and replays a dead letter with its button', async () => {
      const smtp = await SmtpTestServer.start();
      try {
        smtp.script({ to: 'bounce-once@example.com', code: 550, message: '5.1.1 unknown mailbox', times: 1 });
        const app = start({ SMTP_URL: smtp.url });
        const base = await listening(app);
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

        expect((await page.goto(`${base}/admin`))?.status()).to.equal(401);
        await page.goto(`${base}/admin?token=${ADMIN_TOKEN}`);
        expect(page.url()).to.equal(`${base}/admin`);

        expect(await post(base, { orderId: 'B-1', itemId: ['sku-1'], email: 'ada@example.com' })).to.equal(202);
        const row = page.locator('#orders tr[data-order-id="B-1"]');
        await row.waitFor({ timeout: 10_000 });
        await row.locator('.badge', { hasText: 'sent' }).waitFor({ timeout: 10_000 });

        expect(await post(base, { orderId: 'B-2', itemId: ['sku-2'], email: 'bounce-once@example.com' })).to.equal(202);
        const letter = page.locator('#dead-letters tr[data-order-id="B-2"]');
        await letter.waitFor({ timeout: 10_000 });
        expect(await letter.textContent()).to.contain('550');
        await letter.getByRole('button', { name: 'Replay' }).click();
        await page.locator('#orders tr[data-order-id="B-2"] .badge', { hasText: 'sent' }).waitFor({ timeout: 15_000 });
        await letter.waitFor({ state: 'detached', timeout: 10_000 });
        expect(smtp.messages.map((m) => m.to[0]).sort()).to.deep.equal(['ada@example.com', 'bounce-once@example.com']);

        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOTS, 'admin-page.png'), fullPage: true });
        await page.close();
      } finally {
        await smtp.stop();
      }
    });
  });
});
