import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {request} from 'node:http';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const {startServer} = require(resolve('scripts/playground-server.cjs'));

/** GET with the path sent as written (no URL normalisation by the client). */
function get(url: string, path: string): Promise<{status: number, type: string, body: string}> {
  return new Promise((done, fail) => {
    const {hostname, port} = new URL(url);
    request({hostname, port, path, method: 'GET'}, response => {
      let body = '';
      response.on('data', chunk => body += chunk);
      response.on('end', () => done({status: response.statusCode!, type: String(response.headers['content-type']),
                                     body}));
    }).on('error', fail).end();
  });
}

describe('the playground server (scripts/playground-server.cjs)', () => {
  let dir: string;
  let server: {url: string, close(): Promise<void>};

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
    expect(await get(server.url, '/runs/demo/model/model.json'))
        .toEqual({status: 200, type: 'application/json', body: '{"format": "layers-model"}'});
  });

  it('answers 404 for missing files and for paths that leave the served folders', async () => {
    for (const path of ['/nothing.js', '/../secret.txt', '/%2e%2e/secret.txt', '/runs/%2e%2e/secret.txt',
                        '/runs/..%2fsecret.txt', '/app/%2e%2e%2f%2e%2e%2fsecret.txt', '/bad%zzescape']) {
      const response = await get(server.url, path);
      expect(response.status).withContext(path).toBe(404);
      expect(response.body).not.toContain('not to be served');
    }
    expect((await get(server.url, '/')).status).toBe(200);  // still serving
  });

  it('refuses to start without a built page', async () => {
    await expectAsync(startServer({root: join(dir, 'runs'), port: 0}))
        .toBeRejectedWithError(/index\.html is missing: build the playground first \(npm run build\)/);
  });
});
