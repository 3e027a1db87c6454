// Makes sure a Chromium for the browser suite exists: $CHROME_BIN, /usr/bin/chromium,
// or Debian's `chromium` package installed with apt-get (CI runs as root).
import {execSync} from 'node:child_process';
import {existsSync} from 'node:fs';

export function chromiumPath() {
  if (process.env.CHROME_BIN && existsSync(process.env.CHROME_BIN)) return process.env.CHROME_BIN;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return null;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (chromiumPath() == null) {
    console.log("Chromium not found: installing Debian's chromium package ...");
    const sudo = process.getuid && process.getuid() === 0 ? '' : 'sudo ';
    execSync(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium`, {
      stdio: 'inherit',
    });
  }
  if (chromiumPath() == null) {
    console.error("No Chromium: set CHROME_BIN or install Debian's chromium package.");
    process.exit(1);
  }
  console.log(`Chromium: ${chromiumPath()}`);
}
