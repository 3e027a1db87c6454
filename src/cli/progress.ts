/** A one-line progress bar for training epochs: done/total, loss, accuracy, speed and ETA. */

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = String(m).padStart(h > 0 ? 2 : 1, '0');
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(r).padStart(2, '0')}`;
}

export interface ProgressState {
  epoch: number;
  epochs: number;
  done: number;
  total: number;
  loss: number;
  accuracy: number;
  elapsedSeconds: number;
  imagesPerSecond: number;
}

export function progressLine(p: ProgressState, width = 24): string {
  const fraction = p.total > 0 ? p.done / p.total : 1;
  const filled = Math.round(fraction * width);
  const bar =
    '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (fraction >= 1 ? '=' : '>') : '') + ' '.repeat(width - filled);
  const eta = fraction > 0 ? (p.elapsedSeconds * (1 - fraction)) / fraction : NaN;
  return (
    `epoch ${p.epoch}/${p.epochs} [${bar}] ${p.done}/${p.total} loss ${p.loss.toFixed(4)} ` +
    `acc ${p.accuracy.toFixed(4)} ${p.imagesPerSecond.toFixed(1)} img/s ` +
    (fraction >= 1 ? `${formatDuration(p.elapsedSeconds)}` : `ETA ${formatDuration(eta)}`)
  );
}

/** Redraws one line on a terminal; elsewhere (logs, CI) prints a line every `logEvery` fraction. */
export class ProgressBar {
  private lastLogged = -1;

  constructor(
    private readonly stream: {isTTY?: boolean; write(text: string): unknown},
    private readonly logEvery = 0.1
  ) {}

  update(p: ProgressState): void {
    if (this.stream.isTTY) {
      this.stream.write(`\r${progressLine(p)}\x1b[K`);
      return;
    }
    const step = Math.floor(p.done / Math.max(1, p.total) / this.logEvery);
    if (step > this.lastLogged || p.done === p.total) {
      this.lastLogged = step;
      this.stream.write(`${progressLine(p)}\n`);
    }
  }

  finish(summary: string): void {
    this.stream.write(`${this.stream.isTTY ? '\r\x1b[K' : ''}${summary}\n`);
    this.lastLogged = -1;
  }
}
