export interface MicroBatcherOptions {
  /** Rows per ONNX run at most; a full batch runs at once. */
  readonly maxBatchSize: number;
  /** How long the first queued row waits for more before its batch runs anyway. */
  readonly maxWaitMs: number;
}

interface Request {
  readonly rows: Float32Array;
  readonly count: number;
  readonly out: Float32Array;
  /** Rows of this request already handed to a run. */
  taken: number;
  /** Rows of this request whose scores came back. */
  done: number;
  failed: boolean;
  resolve(scores: Float32Array): void;
  reject(error: unknown): void;
}

/** Scores a row-major float32 block of `rows` x `width`. */
export type BatchRunner = (input: Float32Array, rows: number) => Promise<Float32Array>;

/**
 * Dynamic micro-batching for one model: rows submitted by concurrent callers (the consumer's
 * partitions, the reason explainer) are coalesced into runs of at most `maxBatchSize` rows. A run
 * starts as soon as a batch is full, or `maxWaitMs` after the oldest queued row arrived; large
 * submissions are split. Each caller gets back exactly its own rows' scores, in order.
 */
export class MicroBatcher {
  private queue: Request[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly width: number,
    private readonly runner: BatchRunner,
    private readonly options: MicroBatcherOptions,
  ) {
    if (options.maxBatchSize < 1) throw new RangeError('maxBatchSize must be at least 1');
  }

  /** Scores `count` rows (row-major, `width` columns); resolves with one score per row. */
  score(rows: Float32Array, count: number): Promise<Float32Array> {
    if (count === 0) return Promise.resolve(new Float32Array(0));
    if (rows.length < count * this.width)
      return Promise.reject(new RangeError(`expected ${count}x${this.width} values, got ${rows.length}`));
    return new Promise<Float32Array>((resolve, reject) => {
      this.queue.push({
        rows,
        count,
        out: new Float32Array(count),
        taken: 0,
        done: 0,
        failed: false,
        resolve,
        reject,
      });
      this.queuedRows += count;
      while (this.queuedRows >= this.options.maxBatchSize) this.flush();
      if (this.queuedRows > 0 && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          while (this.queuedRows > 0) this.flush();
        }, this.options.maxWaitMs);
      }
    });
  }

  /** Rows waiting for a run. */
  get pending(): number {
    return this.queuedRows;
  }

  private flush(): void {
    if (this.timer && this.queuedRows <= this.options.maxBatchSize) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const size = Math.min(this.queuedRows, this.options.maxBatchSize);
    const input = new Float32Array(size * this.width);
    const parts: { request: Request; from: number; count: number; at: number }[] = [];
    let filled = 0;
    while (filled < size) {
      const request = this.queue[0];
      if (!request) break;
      const count = Math.min(request.count - request.taken, size - filled);
      input.set(
        request.rows.subarray(request.taken * this.width, (request.taken + count) * this.width),
        filled * this.width,
      );
      parts.push({ request, from: request.taken, count, at: filled });
      request.taken += count;
      filled += count;
      if (request.taken === request.count) this.queue.shift();
    }
    this.queuedRows -= filled;
    this.runner(input, filled).then(
      (scores) => {
        for (const { request, from, count, at } of parts) {
          if (request.failed) continue;
          request.out.set(scores.subarray(at, at + count), from);
          request.done += count;
          if (request.done === request.count) request.resolve(request.out);
        }
      },
      (error: unknown) => {
        for (const { request } of parts) {
          if (request.failed) continue;
          request.failed = true;
          request.reject(error);
        }
      },
    );
  }
}
