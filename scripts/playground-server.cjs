// `npm run playground`: serves the built playground (build/playground) on localhost, and a folder of
// runs at /runs/ so that models saved by `tfjs-snn train` load by URL, e.g. runs/demo/model/model.json.
//   node scripts/playground-server.cjs [--port 8080] [--runs runs]
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.map': 'application/json', '.bin': 'application/octet-stream',
  '.gz': 'application/gzip', '.png': 'image/png', '.svg': 'image/svg+xml', '.wasm': 'application/wasm',
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

/**
 * Starts the server: `mounts` maps URL prefixes ('/runs/') to folders; everything else comes from `root`.
 * Resolves to {url, close()} once listening (port 0 picks a free port).
 */
function startServer({root = 'build/playground', port = 8080, mounts = {}, host = '127.0.0.1'} = {}) {
  const folders = Object.entries(mounts).map(([prefix, dir]) => [prefix, path.resolve(dir)]);
  const rootDir = path.resolve(root);
  if (!fs.existsSync(path.join(rootDir, 'index.html'))) {
    return Promise.reject(new Error(`${root}/index.html is missing: build the playground first (npm run build)`));
  }
  const server = http.createServer((request, response) => {
    const urlPath = new URL(request.url, 'http://localhost').pathname;
    const mount = folders.find(([prefix]) => urlPath.startsWith(prefix));
    let file = mount ? fileFor(mount[1], '/' + urlPath.slice(mount[0].length)) : fileFor(rootDir, urlPath);
    if (file != null && fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (file == null || !fs.existsSync(file)) {
      response.writeHead(404, {'Content-Type': 'text/plain'});
      response.end(`not found: ${urlPath}\n`);
      return;
    }
    response.writeHead(200, {'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
                             'Cache-Control': 'no-cache'});
    fs.createReadStream(file).pipe(response);
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
    startServer({port, mounts: {'/runs/': runs}}).then(({url}) => {
      console.log(`tfjs-snn playground: ${url}  (models under ${runs}/ load from ${url}runs/…; Ctrl-C stops)`);
    }, e => {
      console.error(`playground: ${e.message}`);
      process.exit(1);
    });
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
}

module.exports = {startServer};
