// README.md's code for the tests (test/node/readme_example_spec, scripts/test-install.mjs): the install command and
// the Example, the latter optionally with only its numbers made smaller (64 training images, 1 epoch, T 4, 100 test
// images) so that a test runs it in seconds.
const {readFileSync} = require('fs');
const {join} = require('path');

const readme = () => readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

/** The first ```lang block after the line `heading`. */
function block(lang, heading) {
  const text = readme();
  const at = text.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no '${heading}'`);
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(text.slice(at));
  if (match == null) throw new Error(`README.md has no \`\`\`${lang} block under '${heading}'`);
  return match[1];
}

/** The README's install command (one line). */
function installCommand() {
  const lines = block('sh', '## Install').trim().split('\n');
  if (lines.length !== 1 || !lines[0].startsWith('npm install ')) {
    throw new Error(`README.md's Install block is not one npm install line: ${lines.join(' / ')}`);
  }
  return lines[0];
}

const SMALLER = [
  ['{limit: 512}', '{limit: 64}', 1],
  ['epochs: 2', 'epochs: 1', 2],
  ['timeSteps: 25', 'timeSteps: 4', 1],
  ['{limit: 200}', '{limit: 100}', 1],
];

/** The README's Example; with `smaller`, only the numbers of SMALLER changed (each must occur as often as listed). */
function example({smaller = false} = {}) {
  let code = block('js', '## Example');
  if (!smaller) return code;
  for (const [from, to, count] of SMALLER) {
    const found = code.split(from).length - 1;
    if (found !== count) throw new Error(`README.md's Example has '${from}' ${found} times, expected ${count}`);
    code = code.split(from).join(to);
  }
  return code;
}

module.exports = {example, installCommand};
