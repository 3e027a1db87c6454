/**
 * The inspector's animation: one test example's input played frame by frame on a large canvas, with the model's
 * prediction after the step each frame belongs to. One timer at most, cleared by stop() (the page stops the player
 * before every task and when the data change).
 */
import {FrameRange} from './dataset.js';
import {element, setText} from './ui.js';

/** Milliseconds per frame. */
const FRAME_MS = 150;
const SCALE = 8;

export interface Animation {
  frames: Float32Array[];
  /** [height, width, channels] of a frame. */
  shape: number[];
  range: FrameRange;
  /** Frames per model time step. */
  perStep: number;
  draw(values: Float32Array, range: FrameRange, pixels: ImageData): void;
  /** The caption of frame f (in step floor(f / perStep)). */
  caption(frame: number, step: number): string;
}

export class Player {
  private animation: Animation | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private frame = 0;

  get isPlaying(): boolean {
    return this.timer != null;
  }

  get currentFrame(): number {
    return this.frame;
  }

  get hasAnimation(): boolean {
    return this.animation != null;
  }

  /** Shows the first frame of `animation` (stopped). */
  load(animation: Animation): void {
    this.stop();
    this.animation = animation;
    const [height, width] = animation.shape;
    const canvas = element<HTMLCanvasElement>('player');
    canvas.width = width;
    canvas.height = height;
    canvas.style.width = `${width * SCALE}px`;
    canvas.style.height = `${height * SCALE}px`;
    this.show(0);
  }

  /** Forgets the animation and blanks the canvas (the model or the data changed). */
  clear(): void {
    this.stop();
    this.animation = null;
    this.frame = 0;
    const canvas = element<HTMLCanvasElement>('player');
    canvas.getContext('2d')!.clearRect(0, 0, canvas.width, canvas.height);
    canvas.dataset.frame = '';
    setText('player-caption', 'inspect an example to play it');
  }

  play(): void {
    if (this.animation == null || this.timer != null) return;
    const tick = () => {
      this.show((this.frame + 1) % this.animation!.frames.length);
      this.timer = setTimeout(tick, FRAME_MS);
    };
    this.timer = setTimeout(tick, FRAME_MS);
    setText('play', 'Stop');
  }

  stop(): void {
    if (this.timer != null) clearTimeout(this.timer);
    this.timer = null;
    setText('play', 'Play');
  }

  toggle(): void {
    if (this.isPlaying) this.stop();
    else this.play();
  }

  private show(frame: number): void {
    const animation = this.animation!;
    this.frame = frame;
    const [height, width] = animation.shape;
    const canvas = element<HTMLCanvasElement>('player');
    const pixels = new ImageData(width, height);
    animation.draw(animation.frames[frame], animation.range, pixels);
    canvas.getContext('2d')!.putImageData(pixels, 0, 0);
    canvas.dataset.frame = String(frame);
    const step = Math.floor(frame / animation.perStep);
    document
      .querySelectorAll('#input-frames figure')
      .forEach((figure, t) => figure.classList.toggle('current', t === step));
    setText('player-caption', animation.caption(frame, step));
  }
}
