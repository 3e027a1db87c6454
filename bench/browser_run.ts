/**
 * Runs the browser half of the plan (webgl or webgpu) in headless Chromium: serves the page bundle from
 * a local HTTP server, drives Chromium with playwright-core and collects the rows.
 */
import {readFileSync} from 'node:fs';
import {createServer, Server} from 'node:http';
import type {AddressInfo} from 'node:net';

import {Browser, chromium, Page} from 'playwright-core';

import {emptyRows, Log} from './measure';
import type {BrowserBackend, BrowserInfo, ConfigSpec, PageApi, Row} from './types';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script, shared with karma.conf.cjs
const CHROMIUM_FLAGS: string[] = require('../scripts/chromium-flags.cjs');
const CHROMIUM = process.env.CHROME_BIN || '/usr/bin/chromium';
/** A configuration that runs longer than this is reported as failed. */
const CONFIG_TIMEOUT_MS = 10 * 60 * 1000;

export interface BrowserResult {
  backend: BrowserBackend;
  info?: BrowserInfo & {chromium: string};
  rows: Row[];
  /** Why no page started, when none did. */
  failure?: string;
}

const PAGE_HTML = '<!doctype html><meta charset="utf-8"><title>tfjs-snn bench</title><script src="/bench.js"></script>';

/** Serves the page and its bundle on 127.0.0.1, on a free port. */
async function serve(bundle: Buffer): Promise<{server: Server; url: string}> {
  const server = createServer((request, response) => {
    const isBundle = request.url === '/bench.js';
    response.writeHead(200, {'content-type': isBundle ? 'text/javascript' : 'text/html'});
    response.end(isBundle ? bundle : PAGE_HTML);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`};
}

async function openPage(
  browser: Browser,
  url: string,
  backend: BrowserBackend,
  log: Log
): Promise<{page: Page; info: BrowserInfo}> {
  const page = await browser.newPage();
  page.on('console', message => log(message.text()));
  page.on('pageerror', error => log(`page error: ${error.message}`));
  await page.goto(url);
  const info = await page.evaluate(b => (window as unknown as {snnBench: PageApi}).snnBench.init(b), backend);
  return {page, info};
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function failedRows(spec: ConfigSpec, reason: string): Row[] {
  return emptyRows(spec).map(row => ({...row, error: reason}));
}

function reasonOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

function runInPage(page: Page, spec: ConfigSpec): Promise<Row[]> {
  const run = page.evaluate(s => (window as unknown as {snnBench: PageApi}).snnBench.runConfig(s), spec);
  return withTimeout(run, CONFIG_TIMEOUT_MS, `${spec.backend} T=${spec.time}`);
}

function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS.filter(flag => !flag.startsWith('--headless')), '--js-flags=--expose-gc'],
  });
}

interface Session {
  browser: Browser;
  page: Page;
  info: BrowserInfo;
}

/** Every Chromium launched, so that all of them are closed at the end, whatever failed. */
type Launched = Browser[];

/** A fresh page, in `browser` if it still takes one, else in a newly launched Chromium. */
async function openSession(
  url: string,
  backend: BrowserBackend,
  log: Log,
  launched: Launched,
  browser?: Browser
): Promise<Session> {
  if (browser?.isConnected()) {
    try {
      return {browser, ...(await openPage(browser, url, backend, log))};
    } catch (e) {
      log(`  relaunching Chromium: ${reasonOf(e)}`);
    }
  }
  const fresh = await launch();
  launched.push(fresh);
  return {browser: fresh, ...(await openPage(fresh, url, backend, log))};
}

/**
 * Runs the specs in order, adding rows to `result`; after a failure (crash, lost
 * context, timeout) the next spec gets a fresh page, in a fresh browser if needed.
 */
async function runSpecs(
  url: string,
  backend: BrowserBackend,
  specs: ConfigSpec[],
  log: Log,
  launched: Launched,
  result: BrowserResult
): Promise<void> {
  let session = await openSession(url, backend, log, launched);
  result.info = {...session.info, chromium: session.browser.version()};
  for (const spec of specs) {
    try {
      result.rows.push(...(await runInPage(session.page, spec)));
    } catch (e) {
      log(`  failed: ${reasonOf(e)}`);
      result.rows.push(...failedRows(spec, reasonOf(e)));
      await session.page.close().catch(() => undefined);
      session = await openSession(url, backend, log, launched, session.browser);
    }
  }
}

/** Runs `specs` on `backend` in one Chromium page (a fresh one after a failure). */
export async function runBrowserPlan(
  bundlePath: string,
  backend: BrowserBackend,
  specs: ConfigSpec[],
  log: Log
): Promise<BrowserResult> {
  const {server, url} = await serve(readFileSync(bundlePath));
  const result: BrowserResult = {backend, rows: []};
  const launched: Launched = [];
  try {
    await runSpecs(url, backend, specs, log, launched, result);
  } catch (e) {
    log(`browser bench (${backend}) failed: ${reasonOf(e)}`);
    result.failure = reasonOf(e);
    const done = new Set(result.rows.map(row => row.time));
    for (const spec of specs.filter(s => !done.has(s.time))) result.rows.push(...failedRows(spec, reasonOf(e)));
  } finally {
    await Promise.all(launched.map(browser => browser.close().catch(() => undefined)));
    server.close();
  }
  return result;
}
