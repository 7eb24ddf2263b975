// Drives the Tem dashboard in Debian's Chromium during a live run (started by Tem.Dashboard.Tests.BrowserTests):
// the page loads, progress moves, retry-failed is clicked and confirmed, and the counts change. Hostile error text
// must show as text and never run. Prints one "ok"/"not ok" line per step; exits 1 when any step fails.
//
//   TEM_DASHBOARD_URL   the dashboard, e.g. http://127.0.0.1:5080/tem
//   TEM_BATCH_CODE      the live batch's code
//   TEM_EXPECT_FAILED   how many tasks of it fail on their first run
//   TEM_HOSTILE_TASK    id of the task whose error is full of markup
//   TEM_SCREENSHOTS     folder for the screenshots (created)
//   TEM_CHROMIUM        the browser (default /usr/bin/chromium); never downloaded
//   TEM_WORKER_PID      the process id of the worker running the batch
//   TEM_UNHANDLED_TYPE  a task type with pending tasks that no worker handles
//   TEM_ENDED_BATCH_CODE a batch that ends with 1 of its 2 tasks failed
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = required('TEM_DASHBOARD_URL').replace(/\/$/, '');
const code = required('TEM_BATCH_CODE');
const expectFailed = Number(required('TEM_EXPECT_FAILED'));
const hostileTask = required('TEM_HOSTILE_TASK');
const shots = process.env.TEM_SCREENSHOTS || 'screenshots';
const workerPid = required('TEM_WORKER_PID');
const unhandledType = required('TEM_UNHANDLED_TYPE');
const endedCode = required('TEM_ENDED_BATCH_CODE');
const HOSTILE = '<script>window.__pwned=1</script>';
mkdirSync(shots, { recursive: true });

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const browser = await chromium.launch({
  executablePath: process.env.TEM_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'], // CI runs as root
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('dialog', (d) => { problems.push(`a script opened a dialog: ${d.message()}`); d.dismiss().catch(() => {}); });

let number = 0;
let failures = 0;
async function step(name, body) {
  number += 1;
  try {
    await body();
    console.log(`ok ${number} - ${name}`);
  } catch (error) {
    failures += 1;
    console.log(`not ok ${number} - ${name}\n  ${String(error.stack || error).replaceAll('\n', '\n  ')}`);
    await page.screenshot({ path: join(shots, `failed-step-${number}.png`), fullPage: true }).catch(() => {});
  }
}
async function until(what, predicate, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await predicate();
    if (last) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}
async function count(status) {
  const text = await page.locator(`#legend [data-count="${status}"]`).textContent();
  return Number(text.replace(/[^0-9]/g, ''));
}
async function shoot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

await step('the first paint already shows the batches, before the live stream has said anything', async () => {
  const response = await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  if (response.status() !== 200) throw new Error(`status ${response.status()}`);
  const text = await page.locator('#batches tbody').textContent();
  if (text.includes('Loading')) throw new Error(`the first paint says: ${text}`);
  if (!text.includes(code)) throw new Error(`the first paint does not list ${code}: ${text}`);
  if ((await page.locator('#workers tr[data-worker]').count()) < 1) throw new Error('the first paint shows no worker');
});

await step('the overview loads, goes live and lists the batch', async () => {
  const response = await page.goto(`${base}/`);
  if (response.status() !== 200) throw new Error(`status ${response.status()}`);
  await page.locator('#live.on').waitFor({ timeout: 30000 });
  await page.locator('#batches a', { hasText: code }).waitFor({ timeout: 30000 });
  await page.waitForTimeout(1500); // let the chart collect a few samples
  await shoot('1-overview');
});

await step('the workers panel shows the live worker: machine, pid, heartbeat, in flight, types, scope', async () => {
  const row = page.locator('#workers tr.worker.live', { hasText: workerPid });
  await until('the worker row', async () => (await row.count()) === 1);
  const cells = await row.locator('td').allTextContents();
  if (cells[1] !== workerPid) throw new Error(`pid cell: ${cells[1]}`);
  if (cells[2] !== 'live') throw new Error(`state cell: ${cells[2]}`);
  if (!/ago$/.test(cells[3])) throw new Error(`heartbeat cell: ${cells[3]}`);
  if (!/^\d+$/.test(cells[4])) throw new Error(`in-flight cell: ${cells[4]}`);
  if (cells[5] !== 'doc') throw new Error(`handles cell: ${cells[5]}`);
  if (cells[6] !== 'every batch') throw new Error(`serves cell: ${cells[6]}`);
});

await step('a warning names the task type no live worker handles', async () => {
  const item = page.locator(`#unhandled li[data-type="${unhandledType}"]`);
  await until('the unhandled-type warning', async () => (await item.count()) === 1 && (await page.locator('#unhandled').isVisible()));
  const text = await item.textContent();
  if (!text.includes('3 pending')) throw new Error(`warning text: ${text}`);
  if ((await page.locator('#unhandled li[data-type="doc"]').count()) !== 0) throw new Error('the handled type is listed as unhandled');
});

await step('a batch that ended with failures says so in its badge', async () => {
  const badge = page.locator('#batches tr', { hasText: endedCode }).locator('.badge');
  await until('the ended batch', async () => (await badge.count()) === 1 && (await badge.textContent()) === 'completed with 1 failed');
  if (!(await badge.getAttribute('class')).includes('with-failed')) throw new Error(`badge class: ${await badge.getAttribute('class')}`);
  const running = page.locator('#batches tr', { hasText: code }).locator('.badge');
  if ((await running.textContent()) !== 'active') throw new Error(`the live batch's badge: ${await running.textContent()}`);
});

await step('the batch page opens from its link', async () => {
  await page.locator('#batches a', { hasText: code }).click();
  await page.waitForURL(/\/batches\/\d+$/);
  await page.locator('#live.on').waitFor({ timeout: 30000 });
  await page.locator('#legend [data-count="completed"]').waitFor({ timeout: 30000 });
});

let completedBefore = 0;
await step('progress moves without a reload', async () => {
  const first = await count('completed');
  await until('the completed count to grow', async () => (await count('completed')) > first);
  completedBefore = await count('completed');
});

await step(`the ${expectFailed} early failures show, grouped by error`, async () => {
  await until(`${expectFailed} failed tasks`, async () => (await count('failed')) >= expectFailed);
  await until('the error groups', async () => (await page.locator('#errors details').count()) >= 2);
  await shoot('2-batch-running');
});

await step('hostile error text is shown as text and never runs', async () => {
  const hostile = page.locator('#errors .error-text', { hasText: HOSTILE });
  await until('the hostile error group', async () => (await hostile.count()) === 1);
  if ((await page.locator('#errors script, #errors img').count()) !== 0) throw new Error('markup from an error became elements');
  if ((await page.evaluate(() => window.__pwned)) !== undefined) throw new Error('a script from an error ran');
});

let failedBefore = 0;
await step('retry-failed asks for confirmation', async () => {
  failedBefore = await count('failed');
  const button = page.locator('#actions button[data-action="retry-failed"]');
  await until('the retry button to be enabled', () => button.isEnabled());
  await button.click();
  await page.locator('dialog#confirm[open]').waitFor({ timeout: 10000 });
  const text = await page.locator('#confirm-text').textContent();
  if (!text.includes('failed task')) throw new Error(`unexpected confirmation text: ${text}`);
  await shoot('3-confirm-retry');
});

await step('confirming retries the failed tasks and the counts change', async () => {
  await page.locator('#confirm-yes').click();
  const toast = page.locator('#toast.show');
  await toast.waitFor({ timeout: 10000 });
  const message = await toast.textContent();
  if (!/^Returned \d+ failed tasks to pending\.$/.test(message)) throw new Error(`unexpected answer: ${message}`);
  await until('the failed count to fall to 0', async () => (await count('failed')) === 0);
  await until('the completed count to grow past its count before the retry',
    async () => (await count('completed')) >= completedBefore + failedBefore);
  await shoot('4-after-retry');
});

await step('the task page shows the hostile error escaped', async () => {
  const response = await page.goto(`${base}/tasks/${hostileTask}`);
  if (response.status() !== 200) throw new Error(`status ${response.status()}`);
  const payload = await page.locator('#task-payload').textContent();
  if (!payload.includes(HOSTILE)) throw new Error(`payload not shown as text: ${payload}`);
  if ((await page.evaluate(() => window.__pwned)) !== undefined) throw new Error('a script from a payload ran');
  await shoot('5-task');
});

await step('an unknown batch id gives the 404 page', async () => {
  const response = await page.goto(`${base}/batches/987654321`);
  if (response.status() !== 404) throw new Error(`status ${response.status()}`);
  const heading = await page.locator('h1').textContent();
  if (heading !== 'Not found') throw new Error(`heading: ${heading}`);
  await shoot('6-not-found');
});

await step('no script errors and no script dialogs on any page', async () => {
  if (problems.length) throw new Error(problems.join('\n'));
});

await browser.close();
console.log(`1..${number}`);
console.log(`# screenshots in ${shots}`);
console.log(failures ? `# ${failures} of ${number} steps failed` : `# all ${number} steps passed`);
process.exit(failures ? 1 : 0);
