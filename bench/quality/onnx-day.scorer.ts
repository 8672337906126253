import * as ort from 'onnxruntime-node';
import { inputLayoutOf, type ModelInputLayout } from '@fraudstream/model';
import type { ModelManifest } from '@fraudstream/registry';
import type { ScoredTransaction } from '@fraudstream/training';

/**
 * Scores a day of logged feature vectors with the registered ONNX artifact itself, on the calling
 * thread (the scorer runs the same bytes in worker threads; a replay has nothing to overlap with).
 */
export class OnnxDayScorer {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly version: string,
    private readonly layout: ModelInputLayout,
  ) {}

  /** A session for a model of either family (its manifest says how a vector feeds its inputs). */
  static async load(manifest: ModelManifest, onnx: Uint8Array): Promise<OnnxDayScorer> {
    const session = await ort.InferenceSession.create(onnx, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return new OnnxDayScorer(session, manifest.version, inputLayoutOf(manifest));
  }

  async score(rows: readonly ScoredTransaction[]): Promise<Float32Array> {
    const width = rows[0]?.features.length ?? 0;
    const out = new Float32Array(rows.length);
    if (rows.length === 0) return out;
    const x = new Float32Array(rows.length * width);
    rows.forEach((row, i) => x.set(row.features, i * width));
    const output = this.session.outputNames[0] ?? 'score';
    const result = await this.session.run(this.feeds(x, rows.length, width));
    const data = result[output]?.data;
    if (!(data instanceof Float32Array)) throw new Error(`model ${this.version} returned no float scores`);
    const stride = data.length / rows.length;
    for (let i = 0; i < rows.length; i++) out[i] = data[i * stride] ?? 0;
    return out;
  }

  /** The graph's inputs: the rows whole, or the sequence family's flat part and block (as the ONNX workers split them). */
  private feeds(x: Float32Array, rows: number, width: number): Record<string, ort.Tensor> {
    const layout = this.layout;
    if (layout.kind === 'flat')
      return { [this.session.inputNames[0] ?? 'features']: new ort.Tensor('float32', x, [rows, width]) };
    const F = layout.flatWidth;
    const B = layout.steps * layout.stepWidth;
    const flat = new Float32Array(rows * F);
    const block = new Float32Array(rows * B);
    for (let r = 0; r < rows; r++) {
      flat.set(x.subarray(r * width, r * width + F), r * F);
      block.set(x.subarray(r * width + F, (r + 1) * width), r * B);
    }
    return {
      [layout.featuresName]: new ort.Tensor('float32', flat, [rows, F]),
      [layout.sequenceName]: new ort.Tensor('float32', block, [rows, layout.steps, layout.stepWidth]),
    };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
