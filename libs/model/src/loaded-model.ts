import type { ModelManifest } from '@fraudstream/registry';
import type { ExecutionProvider, InferenceRuntime } from './inference-runtime.types';
import { MicroBatcher, type MicroBatcherOptions } from './micro-batcher';

/**
 * A model with a live session in the runtime: its manifest, the constants scoring needs and its
 * own micro-batcher. Batches hold a lease while they use it, so a swapped-out model is released
 * only after the batches that started on it have finished.
 */
export class LoadedModel {
  readonly batcher: MicroBatcher;
  /** Reference medians in feature order (the baseline of alert reasons). */
  readonly medians: Float32Array;
  private leases = 0;
  private retired = false;
  private released: Promise<void> | null = null;

  constructor(
    readonly key: string,
    readonly manifest: ModelManifest,
    readonly sha256: string,
    readonly provider: ExecutionProvider,
    private readonly runtime: InferenceRuntime,
    batching: MicroBatcherOptions,
    onRun?: (rows: number, seconds: number) => void,
  ) {
    const width = manifest.feature_names.length;
    this.medians = mediansOf(manifest);
    this.batcher = new MicroBatcher(
      width,
      async (input, rows) => {
        const started = performance.now();
        const scores = await runtime.run(key, input, rows, width);
        onRun?.(rows, (performance.now() - started) / 1000);
        return scores;
      },
      batching,
    );
  }

  get version(): string {
    return this.manifest.version;
  }

  get threshold(): number {
    return this.manifest.threshold;
  }

  get featureNames(): readonly string[] {
    return this.manifest.feature_names;
  }

  /** Scores `count` rows through the micro-batcher. */
  score(rows: Float32Array, count: number): Promise<Float32Array> {
    return this.batcher.score(rows, count);
  }

  acquire(): void {
    this.leases++;
  }

  release(): void {
    this.leases--;
    if (this.retired && this.leases === 0) void this.unload();
  }

  /** Unloads the session once no batch holds a lease (now, if none does). */
  retire(): void {
    this.retired = true;
    if (this.leases === 0) void this.unload();
  }

  private unload(): Promise<void> {
    this.released ??= this.runtime.unload(this.key).catch(() => undefined);
    return this.released;
  }
}

/** Medians of the reference profile in feature order; a feature missing from it falls back to the training mean. */
function mediansOf(manifest: ModelManifest): Float32Array {
  const byName = new Map((manifest.reference?.features ?? []).map((f) => [f.name, f.median]));
  return Float32Array.from(
    manifest.feature_names.map((name, j) => byName.get(name) ?? manifest.preprocessing?.mean[j] ?? 0),
  );
}
