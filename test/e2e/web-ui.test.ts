/**
 * An operator opens an install in the Temporal Web UI (headless Chromium)
 * and finds its summary, step table, input and a failed step's message,
 * decoded through the codec endpoint with the operator's access token, and
 * never a credential; without a token the UI decodes nothing.
 */
import * as k8s from '@kubernetes/client-node';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { startInstall } from '../../src/client/installs';
import { mintAccessToken, publicKeyHash } from '../../src/testground/codec';
import { ensureChromium } from '../../src/testground/ground';
import { installThanos } from '../../src/workflows';
import { installInputFor, seedRequest, startWorkerAndClient, tkeNamespace, type RunningWorker } from '../support/install';
import { testGround } from '../support/testground';
import { INSTALL_STEPS } from '../../src/workflows/steps';
import { progressQuery } from '../../src/workflows/contracts';

jest.setTimeout(180_000);

const { coordinates, kc } = testGround();
let env: RunningWorker;
let browser: Browser;
const namespaces: string[] = [];

beforeAll(async () => {
  env = await startWorkerAndClient(coordinates, 'web-ui');
  browser = await chromium.launch({
    executablePath: await ensureChromium(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      // The codec endpoint's self-signed certificate, trusted by its public key and nothing else.
      `--ignore-certificate-errors-spki-list=${publicKeyHash(coordinates.codec.certFile)}`],
  });
});
afterAll(async () => {
  await browser?.close();
  await env?.stop();
  // Frees the installs' NodePorts for a later run on the same test ground.
  for (const name of namespaces) await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name });
});

/**
 * A browser of a signed-in operator. With sign-in, the UI has the user's
 * access token and passes it to the codec endpoint when its codec settings
 * say so; here the test ground's identity provider mints the token, given to
 * the UI through the hook it asks first (`globalThis.AccessToken`), and the
 * settings are those the UI's "Codec Server" dialog stores in the browser.
 */
async function operatorBrowser(): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addInitScript(({ endpoint, token }) => {
    const ui = globalThis as unknown as { localStorage: { setItem(key: string, value: string): void }; AccessToken: () => Promise<string> };
    ui.localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
    ui.localStorage.setItem('endpoint', JSON.stringify(endpoint));
    ui.localStorage.setItem('passAccessToken', 'true');
    ui.AccessToken = async () => token;
  }, { endpoint: coordinates.codec.endpoint, token: mintAccessToken(coordinates.codec.identity) });
  return context;
}

/** The statuses of the codec endpoint's answers to a page. */
function codecAnswers(page: Page): number[] {
  const statuses: number[] = [];
  page.on('response', (response: Response) => {
    if (response.url().startsWith(coordinates.codec.endpoint) && response.request().method() === 'POST') statuses.push(response.status());
  });
  return statuses;
}

const historyUrl = (started: { workflowId: string; runId: string }) =>
  `${coordinates.temporal.uiUrl}/namespaces/default/workflows/${started.workflowId}/${started.runId}/history`;
const BUCKET_ERROR = 'rejected the access key or secret key';

/** The text of every frame of the page; the UI re-renders frames, so a detached one is skipped. */
async function framesText(page: Page): Promise<string> {
  const texts = await Promise.all(page.frames().map((f) => f.locator('body').innerText().catch(() => '')));
  return texts.join('\n');
}

/** The rows of the step table, from whichever frame renders it (tolerating re-renders). */
async function stepTableRows(page: Page): Promise<string[]> {
  for (const frame of page.frames()) {
    const rows = await frame
      .locator('table')
      .filter({ hasText: 'Check the object storage bucket' })
      .first()
      .locator('tbody tr')
      .allInnerTexts()
      .catch(() => []);
    if (rows.length > 0) return rows;
  }
  return [];
}

/** Polls `read` until `done` holds or 30 s pass, and returns the last value read. */
async function eventually<T>(page: Page, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await page.waitForTimeout(250);
    value = await read();
  }
  return value;
}

test('the workflow page shows the install summary, the step table and the input, credentials masked', async () => {
  const namespace = await tkeNamespace(kc, 'webui');
  namespaces.push(namespace);
  const clusterName = `webui-${Date.now().toString(36)}`;
  const request = seedRequest(coordinates, (r) => {
    r.config.monitor.thanos.nodePorts = { receiveGrpc: 32031, receiveHttp: 32032, receiveRemoteWrite: 32033 };
  });
  const input = installInputFor(request, clusterName, namespace);
  const started = await startInstall(env.client, input, env.taskQueue);
  await env.client.workflow.getHandle<typeof installThanos>(started.workflowId).result();

  const page = await (await operatorBrowser()).newPage();
  const answers = codecAnswers(page);
  await page.goto(historyUrl(started));
  await page.getByText(`Install Thanos on TKE cluster ${clusterName}`).first().waitFor({ timeout: 30_000 });
  // The Input pane, shown first: the bucket as the install got it, its keys masked.
  const inputPane = await eventually(page, () => framesText(page), (t) => t.includes('"secret_key"'));
  expect(inputPane).toContain(`"bucket": "${coordinates.s3.bucket}"`);
  expect(inputPane).toContain('"secret_key": "******"');
  expect(inputPane).toContain('"access_key": "******"');
  await page.getByText('User Metadata').first().click();
  // The step table is the workflow's current details, which the UI renders
  // from Markdown inside a sandboxed frame.
  // On kwok's nodes the last step, the data-path check, is not run.
  const done = (row: string) => /succeeded|skipped/.test(row);
  const rows = await eventually(page, () => stepTableRows(page), (r) => r.length === INSTALL_STEPS.length && r.every(done));
  expect(rows).toHaveLength(INSTALL_STEPS.length);
  for (const row of rows.slice(0, -1)) expect(row).toMatch(/✓[\s\S]*succeeded/);
  expect(rows.at(-1)).toMatch(/– Verify the data path[\s\S]*skipped[\s\S]*verifyDataPath is false/);
  expect(rows.join('\n')).toContain('Wait until every Thanos component is ready');
  const text = await eventually(page, () => framesText(page), (t) => t.includes('Remote write:'));
  expect(text).toContain('Succeeded: Thanos is installed');
  expect(text).toContain('Remote write: http://127.0.1.1:32033/api/v1/receive');
  for (const shown of [inputPane, text]) {
    expect(shown).not.toContain(coordinates.s3.secretKey);
    expect(shown).not.toContain(coordinates.s3.accessKey);
  }
  expect(answers.length).toBeGreaterThan(0);
  expect(answers.every((status) => status === 200)).toBe(true);
});

describe('an install whose bucket refused its key', () => {
  const WRONG_SECRET = 'not-the-minio-secret-5';
  let started: { workflowId: string; runId: string };

  beforeAll(async () => {
    const namespace = await tkeNamespace(kc, 'webui-failed');
    namespaces.push(namespace);
    const request = seedRequest(coordinates, (r) => {
      r.config.monitor.thanos.bucketConfig.config.secret_key = WRONG_SECRET;
      r.config.monitor.thanos.nodePorts = { receiveGrpc: 32034, receiveHttp: 32035, receiveRemoteWrite: 32036 };
    });
    started = await startInstall(env.client, installInputFor(request, `webui-failed-${Date.now().toString(36)}`, namespace), env.taskQueue);
    const handle = env.client.workflow.getHandle<typeof installThanos>(started.workflowId);
    const deadline = Date.now() + 60_000;
    while ((await handle.query(progressQuery)).phase !== 'WaitingForOperator') {
      if (Date.now() > deadline) throw new Error('the install never waited for the operator');
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  test('the failed step\'s event shows its message and stack trace, decoded', async () => {
    const page = await (await operatorBrowser()).newPage();
    await page.goto(historyUrl(started));
    await page.getByText('Activity Task Failed').first().click();
    const text = await eventually(page, () => framesText(page), (t) => t.includes('"stack_trace"'));
    // History holds "Encoded failure"; the event, decoded, the message and where it was raised.
    expect(text).toMatch(new RegExp(`"message": "list bucket: .*${BUCKET_ERROR}`));
    expect(text).toMatch(/"stack_trace": "ApplicationFailure: list bucket: [^"]*\n\s+at /);
    expect(text).not.toContain(WRONG_SECRET);
  });

  test('without an access token the codec endpoint refuses the UI, which then shows nothing decoded', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const answers = codecAnswers(page);
    await page.goto(historyUrl(started));
    await page.getByText('Activity Task Failed').first().click();
    const text = await eventually(page, () => framesText(page), () => answers.length >= 3);
    expect(answers.length).toBeGreaterThanOrEqual(3);
    expect(answers.every((status) => status === 401)).toBe(true);
    expect(text).toContain('Encoded failure');
    for (const decoded of [BUCKET_ERROR, WRONG_SECRET, '"secret_key"', '"bucket"', 'Install Thanos on TKE cluster']) {
      expect({ decoded, shown: text.includes(decoded) }).toEqual({ decoded, shown: false });
    }
    await context.close();
  });
});
