/**
 * A progress bar on a terminal (redrawn in place), or a line every 10 % when the output is a file
 * or a pipe (so logs stay readable).
 */
export class ProgressBar {
  private lastDecile = -1;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly width = 30,
  ) {}

  /** `fraction` in [0, 1]; `label` follows the bar. */
  update(fraction: number, label: string): void {
    const f = Math.max(0, Math.min(1, fraction));
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && f < 1) return;
      this.lastDraw = now;
      const full = Math.round(f * this.width);
      this.write(
        `\r[${'#'.repeat(full)}${'.'.repeat(this.width - full)}] ${(f * 100).toFixed(0).padStart(3)}% ${label}\x1b[K`,
      );
      this.drawn = true;
      return;
    }
    const decile = Math.floor(f * 10);
    if (decile === this.lastDecile) return;
    this.lastDecile = decile;
    this.write(`${(decile * 10).toString().padStart(3)}% ${label}\n`);
  }

  /** Ends the bar's line. */
  done(): void {
    if (this.tty && this.drawn) this.write('\n');
    this.drawn = false;
    this.lastDecile = -1;
  }
}
