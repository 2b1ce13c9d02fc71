/**
 * `failover-demo dashboard` in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against a local rig (per-broker policy): the page loads without console errors or requests to any
 * other address, follows `broker stop primary-broker-0` within 2 s of `routing --once --json`, shows a
 * drill as it runs, and a drill's report.html draws too. With --allow-actions a button (confirmed in the
 * page's dialog) fails the primary; without it the action endpoint does not exist. Screenshots are kept
 * in test/artifacts/ (git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RoutingSnapshot } from '../../src/envoy/routing.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { waitFor } from '../../src/util/wait.js';
import { FAST_HEALTH_CHECK, startRig, type Rig } from './rig.js';

/** The page's DOM, as far as the functions run inside it use it (this project type-checks without lib dom). */
declare const document: { body: { dataset: Record<string, string | undefined> }; getElementById(id: string): { textContent: string | null } | null };

const PORT_BASE = 27000;
const READ_ONLY_PORT = 27080;
const ACTIONS_PORT = 27081;
const BIN = join(PACKAGE_ROOT, 'bin', 'failover-demo.js');
const ARTIFACTS = join(PACKAGE_ROOT, 'test', 'artifacts');
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

let rig: Rig;
let browser: Browser;
let readOnlyUrl: string;
const dashboards: ResultPromise[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run npm run install:chromium (or set CHROMIUM_BIN)`);
  [rig, browser] = await Promise.all([
    startRig({ name: 'dashboard', portBase: PORT_BASE, healthCheck: FAST_HEALTH_CHECK }),
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] }),
  ]);
}, 300_000);

afterAll(async () => {
  for (const d of dashboards) d.kill('SIGTERM');
  await Promise.all(dashboards.map((d) => d.catch(() => undefined)));
  await browser?.close();
  await rig?.stop();
}, 60_000);

/** Starts `dashboard` in the background; resolves with its URL once it prints it. */
async function startDashboard(port: number, extra: string[] = []): Promise<string> {
  const proc = execa(process.execPath, [BIN, 'dashboard', '--port', String(port), '--interval', '200', ...extra], {
    env: { FAILOVER_DEMO_DIR: rig.project, NO_COLOR: '1' },
    reject: false,
    stdin: 'ignore',
  });
  dashboards.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return waitFor(() => /dashboard on (\S+)/.exec(out)?.[1], { what: `dashboard on port ${port} (output so far: ${out})`, timeoutMs: 30_000, intervalMs: 50 });
}

async function once(): Promise<RoutingSnapshot> {
  const r = await rig.cli(['routing', '--once', '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as RoutingSnapshot;
}

/** When `routing --once --json` first reported `state` (epoch ms of the answer); every call's answer and duration go to the log. */
async function cliReports(state: string, timeoutMs = 60_000): Promise<number> {
  const calls: string[] = [];
  try {
    return await waitFor(async () => {
      const t0 = Date.now();
      const s = await once().catch((err: Error) => ({ activeCluster: `error ${err.message}` }));
      calls.push(`${s.activeCluster} (${Date.now() - t0} ms)`);
      return s.activeCluster === state ? Date.now() : undefined;
    }, { what: `routing --once --json to report ${state}`, timeoutMs, intervalMs: 50 });
  } finally {
    console.log(`routing --once --json answers until ${state}: ${calls.join(', ')}`);
  }
}

/** When the page first showed `state` as its active cluster. */
async function pageShows(page: Page, state: string, timeoutMs = 60_000): Promise<number> {
  await page.waitForFunction((s) => document.body.dataset.active === s, state, { timeout: timeoutMs, polling: 50 });
  return Date.now();
}

/** A page that records console errors, page errors and every request to anywhere but `origin`. */
async function openPage(url: string): Promise<{ page: Page; problems: string[]; external: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1300 } });
  const problems: string[] = [];
  const external: string[] = [];
  const origin = new URL(url).origin;
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => (url.startsWith('file:') ? r.url() !== url : new URL(r.url()).origin !== origin) && external.push(r.url()));
  await page.goto(url);
  return { page, problems, external };
}

describe('dashboard in headless Chromium on the local rig', () => {
  it('read-only: loads clean, no action endpoint, follows a broker stop within 2 s of routing --once --json', async () => {
    const url = (readOnlyUrl = await startDashboard(READ_ONLY_PORT));
    const { page, problems, external } = await openPage(url);
    await pageShows(page, 'primary', 30_000);
    expect(await page.locator('#actions-box').isHidden()).toBe(true);
    for (const id of ['fail-primary', 'stop-primary-broker-0']) {
      const res = await fetch(`${url}api/actions/${id}`, { method: 'POST', headers: { 'X-Failover-Demo': 'action' } });
      expect(res.status, id).toBe(404);
    }
    const stop = await rig.cli(['broker', 'stop', 'primary-broker-0']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    const [cliAt, pageAt] = await Promise.all([cliReports('split'), pageShows(page, 'split')]);
    console.log(`dashboard: page showed split ${pageAt - cliAt} ms after routing --once --json reported it`);
    expect(pageAt - cliAt, `page ${pageAt}, routing --once --json ${cliAt}`).toBeLessThan(2_000);
    await waitFor(async () => (await page.locator('#ackrate [data-cluster=primary]').textContent()) !== '—', { what: 'the probe producer\'s acks on the page', timeoutMs: 20_000, intervalMs: 100 });
    expect(await page.locator('#lanes rect[data-state=secondary]').count()).toBeGreaterThan(0);
    expect(await page.locator('#log').textContent()).toMatch(/primary-broker-0/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-split.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(external).toEqual([]);
    const start = await rig.cli(['broker', 'start', 'primary-broker-0']);
    expect(start.exitCode, start.stderr).toBe(0);
    await pageShows(page, 'primary');
    await page.close();
  }, 120_000);

  it('shows a drill as it runs (the README picture), and the drill writes report.html, which draws clean too', async () => {
    const { page, problems, external } = await openPage(readOnlyUrl);
    await pageShows(page, 'primary', 30_000);
    const reportDir = mkdtempSync(join(tmpdir(), 'failover-demo-dashboard-report-'));
    const drill = rig.cli(['drill', '--scenario', 'broker-loss', '--report', reportDir], { timeoutMs: 90_000 });
    await pageShows(page, 'split', 60_000);
    // The picture a little into the split, when its lane is wide enough to read (split lasts the whole step).
    await page.waitForFunction(() => document.body.dataset.active === 'split' && Date.now() - Number(document.body.dataset.activeSince) > 3_000, undefined, { timeout: 30_000, polling: 100 });
    // The drill's steps, live, with their predicted windows: the first one has passed by now.
    await page.locator('#steps tr[data-status=passed]', { hasText: 'stop primary-broker-0' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#steps tr[data-status]').count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-drill.png'), fullPage: true });
    const r = await drill;
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(problems).toEqual([]);
    expect(external).toEqual([]);
    await page.close();

    const report = await openPage(pathToFileURL(join(reportDir, 'report.html')).href);
    expect(await report.page.locator('#steps tr').count()).toBeGreaterThan(1);
    expect(await report.page.locator('#lanes rect[data-state=secondary]').count()).toBeGreaterThan(0);
    await report.page.screenshot({ path: join(ARTIFACTS, 'report-html.png'), fullPage: true });
    expect(report.problems).toEqual([]);
    expect(report.external).toEqual([]);
    await report.page.close();
  }, 120_000);

  it('with --allow-actions a confirmed button press fails the primary', async () => {
    const url = await startDashboard(ACTIONS_PORT, ['--allow-actions', '--no-probe']);
    const { page, problems, external } = await openPage(url);
    await pageShows(page, 'primary', 30_000);
    const noHeader = await fetch(`${url}api/actions/fail-primary`, { method: 'POST' });
    expect(noHeader.status).toBe(403);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.click('button[data-action="fail-primary"]');
    const [cliAt, pageAt] = await Promise.all([cliReports('secondary'), pageShows(page, 'secondary')]);
    console.log(`dashboard: page showed secondary ${pageAt - cliAt} ms after routing --once --json reported it`);
    expect(pageAt - cliAt).toBeLessThan(2_000);
    expect(dialogs).toEqual([expect.stringMatching(/^Stop every primary broker/)]);
    await page.waitForFunction(() => /^✓/.test(document.getElementById('action-result')!.textContent ?? ''), undefined, { timeout: 30_000, polling: 100 });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-actions.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  }, 120_000);
});
