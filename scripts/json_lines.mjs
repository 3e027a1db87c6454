// What the bench drivers (bench-train.mjs, bench-gpu.mjs) share: running a child process that reports in JSON lines.
import {spawn} from 'node:child_process';

/**
 * Runs `command`, handing each JSON line of its stdout to `onLine` with the time it arrived; ends
 * the process after `timeoutS`. Resolves to {code, signal, timedOut, endedAt}.
 */
export function runLines(command, args, timeoutS, onLine, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'inherit'], env});
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', chunk => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const text of lines.filter(l => l.trim().startsWith('{'))) onLine(JSON.parse(text), Date.now());
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({code, signal, timedOut, endedAt: Date.now()});
    });
  });
}
