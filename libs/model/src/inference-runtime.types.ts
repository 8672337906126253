/** Where onnxruntime runs a model: the bundled CPU or WebGPU (Vulkan on Linux) execution provider. */
export type ExecutionProvider = 'cpu' | 'webgpu';

export interface SessionOptions {
  readonly executionProvider: ExecutionProvider;
  /** Threads one operator may use (ORT intra-op pool). */
  readonly intraOpThreads: number;
  /** Threads for independent graph branches (ORT inter-op pool). */
  readonly interOpThreads: number;
}

/**
 * How a model's graph inputs come out of a row of the feature vector: one input [N, width] (the MLP
 * family), or the sequence family's two: the first `flatWidth` values as `featuresName` [N, F], the
 * rest as `sequenceName` [N, steps, stepWidth] (the vector holds the block row-major).
 */
export type ModelInputLayout =
  | { readonly kind: 'flat' }
  | {
      readonly kind: 'sequence';
      readonly featuresName: string;
      readonly flatWidth: number;
      readonly sequenceName: string;
      readonly steps: number;
      readonly stepWidth: number;
    };

/**
 * The ONNX runtime behind one small interface, so the scoring logic is tested with a fake and the
 * real sessions live off the event loop (OnnxWorkerPool).
 */
export interface InferenceRuntime {
  /**
   * Creates a session for `key` from ONNX bytes (replacing one with the same key); `layout` (default
   * flat) says how run() feeds a row to its inputs.
   */
  load(key: string, bytes: Uint8Array, options: SessionOptions, layout?: ModelInputLayout): Promise<void>;
  /** Scores `rows` rows of `width` float32 features (row-major, the whole vector); one score per row. */
  run(key: string, input: Float32Array, rows: number, width: number): Promise<Float32Array>;
  unload(key: string): Promise<void>;
  close(): Promise<void>;
}
