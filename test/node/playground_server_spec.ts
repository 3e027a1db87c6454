import {ChildProcess, execFileSync, spawn} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {IncomingHttpHeaders, request} from 'node:http';
import {connect} from 'node:net';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {startServer} = require(resolve('scripts/playground-server.cjs'));

/** GET with the path sent as written (no URL normalisation by the client). */
function get(url: string, path: string): Promise<{status: number; type: string; body: string}> {
  return new Promise((done, fail) => {
    const {hostname, port} = new URL(url);
    request({hostname, port, path, method: 'GET'}, response => {
      let body = '';
      response.on('data', chunk => (body += chunk));
      response.on('end', () =>
        done({status: response.statusCode!, type: String(response.headers['content-type']), body})
      );
    })
      .on('error', fail)
      .end();
  });
}

describe('the playground server (scripts/playground-server.cjs)', () => {
  let dir: string;
  let server: {url: string; close(): Promise<void>};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'playground-'));
    mkdirSync(join(dir, 'site', 'app'), {recursive: true});
    mkdirSync(join(dir, 'runs', 'demo', 'model'), {recursive: true});
    writeFileSync(join(dir, 'site', 'index.html'), '<p>page</p>');
    writeFileSync(join(dir, 'site', 'app', 'main.js'), 'export {};');
    writeFileSync(join(dir, 'runs', 'demo', 'model', 'model.json'), '{"format": "layers-model"}');
    writeFileSync(join(dir, 'secret.txt'), 'not to be served');
    server = await startServer({root: join(dir, 'site'), port: 0, mounts: {'/runs/': join(dir, 'runs')}});
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, {recursive: true, force: true});
  });

  it('serves the page, its modules and the mounted runs with their content types', async () => {
    expect(await get(server.url, '/')).toEqual({status: 200, type: 'text/html; charset=utf-8', body: '<p>page</p>'});
    expect((await get(server.url, '/app/main.js')).type).toBe('text/javascript; charset=utf-8');
    expect(await get(server.url, '/runs/demo/model/model.json')).toEqual({
      status: 200,
      type: 'application/json',
      body: '{"format": "layers-model"}',
    });
  });

  it('answers 404 for missing files and for paths that leave the served folders', async () => {
    for (const path of [
      '/nothing.js',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/runs/%2e%2e/secret.txt',
      '/runs/..%2fsecret.txt',
      '/app/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/bad%zzescape',
    ]) {
      const response = await get(server.url, path);
      expect(response.status).withContext(path).toBe(404);
      expect(response.body).not.toContain('not to be served');
    }
    expect((await get(server.url, '/')).status).toBe(200); // still serving
  });

  it('refuses to start without a built page', async () => {
    await expectAsync(startServer({root: join(dir, 'runs'), port: 0})).toBeRejectedWithError(
      /index\.html is missing: build the playground first \(npm run build\)/
    );
  });
});

/**
 * The server in a child process, so that a crash shows as its exit. Faults are injected at its file reads:
 * fs.createReadStream throws for names containing 'throws', and gives a stream that fails 50 ms after its
 * first chunk for names containing 'fails-midway'; fs.promises.realpath answers with a file inside the runs for
 * names containing 'swapped' (as if a link had been swapped between the server's open and its realpath).
 */
const CHILD = `
const fs = require('node:fs');
const {join} = require('node:path');
const {Readable} = require('node:stream');
const [root, runs] = process.argv.slice(1);
const realpath = fs.promises.realpath;
fs.promises.realpath = (file, ...rest) =>
    realpath(String(file).includes('swapped') ? join(runs, 'demo', 'model', 'model.json') : file, ...rest);
const createReadStream = fs.createReadStream;
fs.createReadStream = function (file, options) {
  if (String(file).includes('throws')) throw new Error('injected fault');
  if (String(file).includes('fails-midway')) {
    let sent = false;
    return new Readable({read() {
      if (sent) setTimeout(() => this.destroy(new Error('injected read error')), 50);  // once the headers are out
      else this.push('partial'), sent = true;
    }});
  }
  return createReadStream.apply(this, arguments);
};
require(process.env.SERVER).startServer({root, port: 0, mounts: {'/runs/': runs}}).then(s => console.log(s.url));
`;

interface Child {
  url: string;
  process: ChildProcess;
  stderr: string;
  closed: Promise<unknown>;
}

function startChild(root: string, runs: string): Promise<Child> {
  const child = spawn(process.execPath, ['-e', CHILD, root, runs], {
    env: {...process.env, SERVER: resolve('scripts/playground-server.cjs')},
  });
  const started: Child = {url: '', process: child, stderr: '', closed: new Promise(done => child.once('close', done))};
  child.stderr.on('data', chunk => (started.stderr += chunk));
  return new Promise((done, fail) => {
    child.stdout.once('data', chunk => done(Object.assign(started, {url: String(chunk).trim()})));
    child.once('exit', code => fail(new Error(`the server exited (${code}) before listening: ${started.stderr}`)));
  });
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  complete: boolean;
}

/** One request on its own connection; rejects when no complete answer or abort came within `timeout` ms. */
function send(url: string, path: string, method = 'GET', timeout = 3000): Promise<Answer> {
  return new Promise((done, fail) => {
    const {hostname, port} = new URL(url);
    const timer = setTimeout(() => {
      outgoing.destroy();
      fail(new Error(`${method} ${path}: no answer within ${timeout} ms`));
    }, timeout);
    const outgoing = request({hostname, port, path, method, agent: false}, response => {
      let body = '';
      response.on('data', chunk => (body += chunk));
      response.on('error', () => {}); // an aborted response: seen as complete == false
      response.on('close', () => {
        clearTimeout(timer);
        done({status: response.statusCode!, headers: response.headers, body, complete: response.complete});
      });
    });
    outgoing.on('error', error => {
      clearTimeout(timer);
      fail(error);
    });
    outgoing.end();
  });
}

/** Writes `text` on a raw connection and resolves with everything the server sent until it closed. */
function sendRaw(url: string, text: string, timeout = 3000): Promise<string> {
  return new Promise((done, fail) => {
    const {hostname, port} = new URL(url);
    let received = '';
    const socket = connect(Number(port), hostname, () => socket.write(text));
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new Error(`no answer within ${timeout} ms; received ${JSON.stringify(received)}`));
    }, timeout);
    socket.on('data', chunk => (received += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      done(received);
    });
  });
}

describe('the playground server against hostile requests (in a child process)', () => {
  const model = '{"format": "layers-model", "weightsManifest": []}';
  let dir: string;
  let server: Child;

  /** The server process has not exited and still serves the page. */
  async function expectStillServing() {
    expect(server.process.exitCode).withContext(server.stderr).toBeNull();
    expect(server.process.signalCode).withContext(server.stderr).toBeNull();
    const page = await send(server.url, '/');
    expect([page.status, page.body]).toEqual([200, '<p>page</p>']);
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'playground-hostile-'));
    const runs = join(dir, 'runs');
    mkdirSync(join(dir, 'site'));
    mkdirSync(join(dir, 'outside'));
    mkdirSync(join(runs, 'demo', 'model'), {recursive: true});
    mkdirSync(join(runs, 'swap', 'model'), {recursive: true});
    mkdirSync(join(runs, 'dir-index', 'index.html'), {recursive: true});
    writeFileSync(join(dir, 'site', 'index.html'), '<p>page</p>');
    writeFileSync(join(dir, 'secret.txt'), 'not to be served');
    writeFileSync(join(dir, 'outside', 'secret.txt'), 'not to be served');
    writeFileSync(join(runs, 'demo', 'model', 'model.json'), model);
    writeFileSync(join(runs, 'swap', 'model', 'model.json'), model);
    writeFileSync(join(runs, 'throws.json'), model);
    writeFileSync(join(runs, 'fails-midway.bin'), Buffer.alloc(65536, 7));
    symlinkSync(join(dir, 'secret.txt'), join(runs, 'link'));
    symlinkSync(join(dir, 'outside'), join(runs, 'linkdir'));
    symlinkSync(join(dir, 'secret.txt'), join(runs, 'swapped'));
    symlinkSync('demo', join(runs, 'latest')); // a link that stays inside
    symlinkSync(runs, join(dir, 'runs-link')); // the mounted folder is itself a link
    execFileSync('mkfifo', [join(runs, 'pipe')]);
  });

  beforeEach(async () => {
    server = await startChild(join(dir, 'site'), join(dir, 'runs-link'));
  });

  afterEach(async () => {
    const exited = await Promise.race([server.closed.then(() => true), new Promise(done => setTimeout(done, 200))]);
    if (exited) fail(`the server exited (${server.process.exitCode ?? server.process.signalCode}): ${server.stderr}`);
    else server.process.kill('SIGKILL');
  });

  afterAll(() => {
    rmSync(dir, {recursive: true, force: true});
  });

  it('answers 400 to a malformed request target and keeps serving', async () => {
    const answer = await sendRaw(server.url, 'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    await expectStillServing();
  });

  it('answers 405 with an Allow header to methods other than GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const answer = await send(server.url, '/runs/demo/model/model.json', method);
      expect([answer.status, answer.headers.allow]).withContext(method).toEqual([405, 'GET, HEAD']);
      expect(answer.body).not.toContain('layers-model');
    }
    await expectStillServing();
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const head = await send(server.url, '/runs/demo/model/model.json', 'HEAD');
    const get = await send(server.url, '/runs/demo/model/model.json');
    expect([head.status, head.headers['content-type'], head.headers['content-length'], head.body]).toEqual([
      200,
      'application/json',
      String(Buffer.byteLength(model)),
      '',
    ]);
    expect([get.status, get.headers['content-length'], get.body]).toEqual([
      200,
      String(Buffer.byteLength(model)),
      model,
    ]);
  });

  it('answers 404 at once for a FIFO (only regular files are served)', async () => {
    expect((await send(server.url, '/runs/pipe')).status).toBe(404);
    await expectStillServing();
  });

  it('answers 404 for a directory named index.html', async () => {
    for (const path of ['/runs/dir-index/', '/runs/dir-index/index.html']) {
      expect((await send(server.url, path)).status)
        .withContext(path)
        .toBe(404);
    }
    await expectStillServing();
  });

  it('follows no symlink out of the served folders, and serves through links that stay inside', async () => {
    for (const path of ['/runs/link', '/runs/linkdir/secret.txt', '/runs/linkdir/', '/runs/swapped']) {
      const answer = await send(server.url, path);
      expect(answer.status).withContext(path).toBe(404);
      expect(answer.body).withContext(path).not.toContain('not to be served');
    }
    for (const path of ['/runs/demo/model/model.json', '/runs/latest/model/model.json']) {
      expect(await send(server.url, path))
        .withContext(path)
        .toEqual(jasmine.objectContaining({status: 200, body: model}));
    }
  });

  it('answers 500 and keeps serving when the request handler throws', async () => {
    expect((await send(server.url, '/runs/throws.json')).status).toBe(500);
    await expectStillServing();
  });

  it('ends the response, and keeps serving, when a read fails after the headers were sent', async () => {
    const answer = await send(server.url, '/runs/fails-midway.bin');
    expect([answer.status, answer.complete]).toEqual([200, false]);
    expect(answer.body.length).toBeLessThan(65536);
    await expectStillServing();
  });

  it('keeps serving while a served folder is renamed back and forth during its requests', async () => {
    const [folder, moved] = [join(dir, 'runs', 'swap', 'model'), join(dir, 'runs', 'swap', 'model.old')];
    let renaming = true;
    const renamer = (async () => {
      for (let away = false; renaming; away = !away) {
        renameSync(away ? moved : folder, away ? folder : moved);
        await new Promise(setImmediate);
      }
    })();
    const statuses = new Set<number>();
    const deadline = Date.now() + 10000;
    try {
      for (let i = 0; i < 200 && Date.now() < deadline && server.process.exitCode == null; i++) {
        const answer = await send(server.url, '/runs/swap/model/model.json');
        statuses.add(answer.status);
        if (answer.status === 200) expect(answer.body).toBe(model);
        else expect(answer.status).toBe(404);
      }
    } finally {
      renaming = false;
      await renamer;
      if (existsSync(moved)) renameSync(moved, folder);
    }
    expect(statuses).toContain(200); // the race ran both ways
    expect(statuses).toContain(404);
    await expectStillServing();
    expect((await send(server.url, '/runs/swap/model/model.json')).body).toBe(model);
  }, 30000);
});
