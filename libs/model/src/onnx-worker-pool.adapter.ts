import { Logger } from '@nestjs/common';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { InferenceRuntime, ModelInputLayout, SessionOptions } from './inference-runtime.types';
import { ScoringError } from './model.errors';
import { ONNX_WORKER_SOURCE } from './onnx-worker.source';

interface Pending {
  resolve(value: WorkerReply): void;
  reject(error: Error): void;
}

interface WorkerReply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly scores?: Float32Array;
}

interface WorkerSlot {
  worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Rows queued on this worker, to send each run to the least loaded one. */
  queuedRows: number;
  alive: boolean;
}

function isReply(value: unknown): value is WorkerReply {
  return !!value && typeof value === 'object' && 'id' in value && 'ok' in value;
}

/**
 * onnxruntime-node's `run()` computes on the calling thread, so sessions live in worker threads:
 * the event loop keeps fetching, heart-beating and producing while a batch is scored. Every worker
 * holds a session of every loaded model; a run goes to the worker with the fewest queued rows. A
 * worker that dies fails its in-flight runs (ScoringError) and is replaced with the models reloaded.
 */
export class OnnxWorkerPool implements InferenceRuntime {
  private readonly logger = new Logger(OnnxWorkerPool.name);
  private readonly slots: WorkerSlot[] = [];
  private readonly models = new Map<
    string,
    { bytes: Uint8Array; options: SessionOptions; layout: ModelInputLayout }
  >();
  private readonly onnxruntimePath: string;
  private nextId = 1;
  private closed = false;

  constructor(readonly size = 1) {
    if (size < 1) throw new RangeError('an ONNX worker pool needs at least one worker');
    this.onnxruntimePath = createRequire(__filename).resolve('onnxruntime-node');
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  async load(
    key: string,
    bytes: Uint8Array,
    options: SessionOptions,
    layout: ModelInputLayout = { kind: 'flat' },
  ): Promise<void> {
    this.models.set(key, { bytes, options, layout });
    try {
      await Promise.all(
        this.slots.map((slot) => this.call(slot, { op: 'load', key, bytes, options, layout }, 0)),
      );
    } catch (error) {
      this.models.delete(key);
      await this.unload(key).catch(() => undefined);
      throw error;
    }
  }

  async run(key: string, input: Float32Array, rows: number, width: number): Promise<Float32Array> {
    const slot = this.leastLoaded();
    // Copy so the caller's array stays usable; the copy's buffer is transferred, not cloned.
    const data = Float32Array.from(input.subarray(0, rows * width));
    const reply = await this.call(slot, { op: 'run', key, data, rows, width }, rows, [data.buffer]);
    if (!reply.scores) throw new ScoringError(`worker returned no scores for model ${key}`);
    return reply.scores;
  }

  async unload(key: string): Promise<void> {
    this.models.delete(key);
    await Promise.all(
      this.slots.filter((s) => s.alive).map((slot) => this.call(slot, { op: 'unload', key }, 0)),
    );
  }

  /** Releases every session in every worker (bounded wait), then ends the workers. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.alive) {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)));
          await Promise.race([this.call(slot, { op: 'close' }, 0).catch(() => undefined), timeout]);
          clearTimeout(timer);
        }
        await slot.worker.terminate();
      }),
    );
  }

  private leastLoaded(): WorkerSlot {
    let best: WorkerSlot | undefined;
    for (const slot of this.slots)
      if (slot.alive && (!best || slot.queuedRows < best.queuedRows)) best = slot;
    if (!best) throw new ScoringError('no live ONNX worker');
    return best;
  }

  private call(
    slot: WorkerSlot,
    message: Record<string, unknown>,
    rows: number,
    transfer: ArrayBuffer[] = [],
  ): Promise<WorkerReply> {
    if (!slot.alive) return Promise.reject(new ScoringError('ONNX worker is not running'));
    const id = this.nextId++;
    slot.queuedRows += rows;
    return new Promise<WorkerReply>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...message, id }, transfer);
    }).finally(() => (slot.queuedRows -= rows));
  }

  private spawn(): WorkerSlot {
    const worker = new Worker(ONNX_WORKER_SOURCE, {
      eval: true,
      workerData: { onnxruntimePath: this.onnxruntimePath },
    });
    const slot: WorkerSlot = { worker, pending: new Map(), queuedRows: 0, alive: true };
    worker.on('message', (reply: unknown) => {
      if (!isReply(reply)) return;
      const pending = slot.pending.get(reply.id);
      if (!pending) return;
      slot.pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply);
      else pending.reject(new ScoringError(reply.error ?? 'ONNX worker failed'));
    });
    worker.on('error', (error: unknown) =>
      this.logger.error({
        msg: 'ONNX worker error',
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    worker.on('exit', (code) => {
      slot.alive = false;
      for (const pending of slot.pending.values())
        pending.reject(new ScoringError(`ONNX worker exited with code ${code}`));
      slot.pending.clear();
      if (!this.closed) this.replace(slot);
    });
    return slot;
  }

  /** Replaces a dead worker and reloads every model into it. */
  private replace(dead: WorkerSlot): void {
    const index = this.slots.indexOf(dead);
    if (index < 0) return;
    this.logger.warn({ msg: 'ONNX worker died; starting a new one' });
    const fresh = this.spawn();
    this.slots[index] = fresh;
    for (const [key, { bytes, options, layout }] of this.models) {
      this.call(fresh, { op: 'load', key, bytes, options, layout }, 0).catch((error: unknown) =>
        this.logger.error({
          msg: 'reloading model into a new worker failed',
          model: key,
          error: String(error),
        }),
      );
    }
  }
}
