// `npm run playground`: serves the built playground (build/playground) on localhost, and a folder of
// runs at /runs/ so that models saved by `tfjs-snn train` load by URL, e.g. runs/demo/model/model.json.
//   node scripts/playground-server.cjs [--port 8080] [--runs runs]
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const {pipeline} = require('node:stream');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.bin': 'application/octet-stream',
  '.gz': 'application/gzip',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

/** The file under `root` for a URL path, or null when the path leaves `root` or is not valid percent-encoding. */
function fileFor(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const file = path.resolve(root, '.' + decoded);
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

/** Whether `file` is `root` or lies under it (both absolute, normalised). */
function isInside(file, root) {
  return file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** The real path of `file`, or null when it cannot be resolved (missing, a loop, no permission...). */
async function realPath(file) {
  try {
    return await fs.promises.realpath(file);
  } catch {
    return null;
  }
}

/**
 * Opens `file` for serving: {handle, stats}, or null unless it is a regular file whose real path lies inside one
 * of `roots` (real paths). Opened without blocking (a FIFO would block a plain open until a writer comes), then
 * checked through the open handle; the real path must name the very file that was opened, so a link swapped in
 * between the two cannot smuggle in a file from outside.
 */
async function openServed(file, roots) {
  let handle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch {
    return null;
  }
  try {
    const stats = await handle.stat();
    const real = await realPath(file);
    if (stats.isFile() && real != null && roots.some(root => isInside(real, root))) {
      const named = await fs.promises.stat(real);
      if (named.dev === stats.dev && named.ino === stats.ino) return {handle, stats};
    }
  } catch {
    // the file went away or changed: not served
  }
  await handle.close().catch(() => {});
  return null;
}

/** Answers with a short plain-text body (none for HEAD). */
function answer(response, status, text, headers = {}) {
  response.writeHead(status, {'Content-Type': 'text/plain; charset=utf-8', ...headers});
  response.end(text + '\n');
}

/**
 * Starts the server: `mounts` maps URL prefixes ('/runs/') to folders; everything else comes from `root`.
 * Serves only regular files whose real path (symlinks resolved) lies inside `root` or a mounted folder; answers
 * GET and HEAD (405 otherwise), 400 for a request target that is not a URL, 404 for anything it cannot serve,
 * and 500, staying up, if handling a request fails.
 * Resolves to {url, close()} once listening (port 0 picks a free port).
 */
function startServer({root = 'build/playground', port = 8080, mounts = {}, host = '127.0.0.1'} = {}) {
  const folders = Object.entries(mounts).map(([prefix, dir]) => [prefix, path.resolve(dir)]);
  const rootDir = path.resolve(root);
  if (!fs.existsSync(path.join(rootDir, 'index.html'))) {
    return Promise.reject(new Error(`${root}/index.html is missing: build the playground first (npm run build)`));
  }

  async function serve(request, response) {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(response, 405, `method not allowed: ${request.method} (GET and HEAD only)`, {Allow: 'GET, HEAD'});
      return;
    }
    let urlPath;
    try {
      urlPath = new URL(request.url, 'http://localhost').pathname;
    } catch {
      answer(response, 400, 'bad request target');
      return;
    }
    const mount = folders.find(([prefix]) => urlPath.startsWith(prefix));
    let file = mount ? fileFor(mount[1], '/' + urlPath.slice(mount[0].length)) : fileFor(rootDir, urlPath);
    // The served roots, resolved per request: a mounted folder may appear (or be replaced) after the start.
    const roots = (await Promise.all([rootDir, ...folders.map(([, dir]) => dir)].map(realPath))).filter(
      real => real != null
    );
    if (file != null && (await fs.promises.stat(file).catch(() => null))?.isDirectory()) {
      file = path.join(file, 'index.html');
    }
    const opened = file == null ? null : await openServed(file, roots);
    if (opened == null) {
      answer(response, 404, `not found: ${urlPath}`);
      return;
    }
    const {handle, stats} = opened;
    let stream;
    try {
      const headers = {
        'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
        'Content-Length': stats.size,
        'Cache-Control': 'no-cache',
      };
      if (request.method === 'HEAD' || stats.size === 0) {
        await handle.close();
        response.writeHead(200, headers);
        response.end();
        return;
      }
      // No more than the Content-Length announced, should the file grow meanwhile.
      stream = fs.createReadStream(file, {fd: handle, start: 0, end: stats.size - 1});
      response.writeHead(200, headers);
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
    // An error once the headers are out (a failing read, the client gone) ends the response and closes the file.
    pipeline(stream, response, error => {
      if (error != null) handle.close().catch(() => {});
    });
  }

  const server = http.createServer((request, response) => {
    serve(request, response).catch(error => {
      console.error(`playground: ${request.method} ${request.url}: ${error?.stack ?? error}`);
      if (response.headersSent) response.destroy();
      else answer(response, 500, 'internal error');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const url = `http://${host}:${server.address().port}/`;
      resolve({url, close: () => new Promise(done => server.close(() => done()))});
    });
  });
}

function parseArgs(argv) {
  const options = {port: 8080, runs: 'runs'};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--port' && /^\d+$/.test(value ?? '')) options.port = Number(value);
    else if (flag === '--runs' && value != null) options.runs = value;
    else throw new Error(`playground: unknown or incomplete option '${flag}' (expected --port N, --runs DIR)`);
  }
  return options;
}

if (require.main === module) {
  try {
    const {port, runs} = parseArgs(process.argv.slice(2));
    startServer({port, mounts: {'/runs/': runs}}).then(
      ({url}) => {
        console.log(`tfjs-snn playground: ${url}  (models under ${runs}/ load from ${url}runs/…; Ctrl-C stops)`);
      },
      e => {
        console.error(`playground: ${e.message}`);
        process.exit(1);
      }
    );
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
}

module.exports = {startServer};
