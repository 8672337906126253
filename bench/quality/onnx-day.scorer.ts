import * as ort from 'onnxruntime-node';
import type { ScoredTransaction } from '@fraudstream/training';

/**
 * Scores a day of logged feature vectors with the registered ONNX artifact itself, on the calling
 * thread (the scorer runs the same bytes in worker threads; a replay has nothing to overlap with).
 */
export class OnnxDayScorer {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly version: string,
  ) {}

  static async load(version: string, onnx: Uint8Array): Promise<OnnxDayScorer> {
    const session = await ort.InferenceSession.create(onnx, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return new OnnxDayScorer(session, version);
  }

  async score(rows: readonly ScoredTransaction[]): Promise<Float32Array> {
    const width = rows[0]?.features.length ?? 0;
    const out = new Float32Array(rows.length);
    if (rows.length === 0) return out;
    const x = new Float32Array(rows.length * width);
    rows.forEach((row, i) => x.set(row.features, i * width));
    const input = this.session.inputNames[0] ?? 'features';
    const output = this.session.outputNames[0] ?? 'score';
    const result = await this.session.run({ [input]: new ort.Tensor('float32', x, [rows.length, width]) });
    const data = result[output]?.data;
    if (!(data instanceof Float32Array)) throw new Error(`model ${this.version} returned no float scores`);
    const stride = data.length / rows.length;
    for (let i = 0; i < rows.length; i++) out[i] = data[i * stride] ?? 0;
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
