/*
 * ONNX Runtime execution providers compared on the scorer's models: the default-size MLP, three
 * of them side by side (19-96-48-1, TRAINER_BASE_ENSEMBLE=3), a wide one (64-1024-1024-512-1) and the sequence family (a GRU of 16 over a card's last 16 transactions
 * of 7 features beside the 19 flat ones, head 32-16-1, as libs/model's buildSequenceOnnx writes it),
 * with `cpu` and `webgpu`, batch sizes 1 to 32768 (docs/scorer.md).
 *
 * Each model also runs as an int8 variant (hidden-layer weights INT8 + DequantizeLinear, as
 * libs/model's quantizeOnnxWeights makes it), in a plain session (`_int8`) and as the scorer loads
 * it (`_int8_scorer`: DequantizeLinear folded at load), and with its activations quantised too
 * (`_int8_dynamic`: DynamicQuantizeLinear + MatMulInteger), runs interleaved with the float graph's,
 * with the speed-up over it per batch.
 *
 *   npm run bench:gpu -- [--out FILE] [--max-batch N] [--seconds S] [--models default,ensemble3,wide,sequence]
 *
 * It needs only onnxruntime-node at run time (the GPU host has no other packages): the models are
 * written with the small protobuf encoder below instead of libs/model's onnx-proto builder. Where the
 * webgpu provider cannot start (no GPU, no Vulkan), its rows say so and the CPU numbers still come.
 */
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-node';
import { reportBench, type BenchValue } from './support/bench-report';

// ---- a minimal ONNX (protobuf) writer: enough for a float MLP ------------------------------------

class ProtoWriter {
  private readonly parts: Uint8Array[] = [];

  varint(field: number, value: number): this {
    this.tag(field, 0);
    this.rawVarint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(value.length);
    this.parts.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number): void {
    const bytes: number[] = [];
    let v = value;
    while (v >= 0x80) {
      bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    bytes.push(v);
    this.parts.push(Uint8Array.from(bytes));
  }
}

const FLOAT = 1;
const INT8 = 3;
const INT64 = 7;

function tensor(
  w: ProtoWriter,
  name: string,
  dims: number[],
  values: Float32Array | Int8Array | BigInt64Array,
): void {
  for (const d of dims) w.varint(1, d); // dims
  w.varint(2, values instanceof Int8Array ? INT8 : values instanceof BigInt64Array ? INT64 : FLOAT); // data_type
  w.string(8, name);
  w.bytes(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)); // raw_data
}

function valueInfo(w: ProtoWriter, name: string, width: number | readonly number[]): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (t) => {
      t.varint(1, FLOAT);
      t.message(2, (shape) => {
        shape.message(1, (d) => d.string(2, 'N'));
        for (const dim of typeof width === 'number' ? [width] : width)
          shape.message(1, (d) => d.varint(1, dim));
      });
    }),
  );
}

function node(
  w: ProtoWriter,
  op: string,
  inputs: string[],
  output: string | string[],
  intAttributes: Record<string, number> = {},
  intsAttributes: Record<string, readonly number[]> = {},
): void {
  const outputs = Array.isArray(output) ? output : [output];
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, `${op}_${outputs[0] ?? ''}`);
  w.string(4, op);
  for (const [name, value] of Object.entries(intAttributes))
    w.message(5, (a) => a.string(1, name).varint(3, value).varint(20, 2)); // AttributeProto: name, i, type INT
  for (const [name, values] of Object.entries(intsAttributes))
    w.message(5, (a) => {
      a.string(1, name);
      for (const v of values) a.varint(8, v); // ints
      a.varint(20, 7); // type INTS
    });
}

/** Deterministic pseudo-random weights of an MLP of `sizes`, one row-major [in, out] array per layer. */
function mlpWeights(sizes: readonly number[], seed: number): Float32Array[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
  const layers: Float32Array[] = [];
  for (let i = 1; i < sizes.length; i++) {
    const inputs = sizes[i - 1] ?? 1;
    const outputs = sizes[i] ?? 1;
    const scale = Math.sqrt(2 / inputs);
    layers.push(Float32Array.from({ length: inputs * outputs }, () => (random() * 2 - 1) * scale));
  }
  return layers;
}

/**
 * Symmetric per-output-column int8 of a row-major [rows, cols] matrix, as libs/model's
 * quantizeOnnxWeights does it (repeated here: the GPU host has only onnxruntime-node).
 */
function quantizeColumns(
  w: Float32Array,
  rows: number,
  cols: number,
): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    let max = 0;
    for (let i = 0; i < rows; i++) max = Math.max(max, Math.abs(w[i * cols + j] ?? 0));
    scales[j] = max > 0 ? Math.fround(max / 127) : 1;
  }
  const q = new Int8Array(rows * cols);
  for (let k = 0; k < q.length; k++)
    q[k] = Math.max(-127, Math.min(127, Math.round((w[k] ?? 0) / (scales[k % cols] ?? 1))));
  return { q, scales };
}

/**
 * A standardised MLP (the scorer's graph shape). `int8`: the hidden layers' weights stored as INT8
 * with a DequantizeLinear node (per output column; axis 1 is the default) in front of the same
 * float MatMul, the one-column score layer kept float, like quantizeOnnxWeights' default.
 * `dynamic`: the same INT8 weights multiplied with activations quantised per run to uint8
 * (DynamicQuantizeLinear + MatMulInteger, rescaled by both scales: onnxruntime's dynamic
 * quantisation, fused into its integer GEMM), which libs/model does not make.
 */
function mlpOnnx(
  sizes: readonly number[],
  weights: readonly Float32Array[],
  precision: 'float' | 'int8' | 'dynamic',
): Uint8Array {
  const width = sizes[0] ?? 1;
  const int8 = precision === 'int8';
  const quantised = (i: number): boolean => precision !== 'float' && (sizes[i] ?? 1) > 1;
  return new ProtoWriter()
    .varint(1, 8) // ir_version
    .string(2, 'fraudstream-gpu-bench')
    .message(7, (g) => {
      for (let i = 1; i < sizes.length; i++)
        if (int8 && quantised(i))
          g.message(1, (n) =>
            node(n, 'DequantizeLinear', [`w${i}.int8`, `w${i}.scale`, `w${i}.zero_point`], `w${i}`),
          );
      g.message(1, (n) => node(n, 'Sub', ['features', 'mean'], 'centred'));
      g.message(1, (n) => node(n, 'Div', ['centred', 'std'], 'h0'));
      let current = 'h0';
      for (let i = 1; i < sizes.length; i++) {
        const last = i === sizes.length - 1;
        if (precision === 'dynamic' && quantised(i)) {
          const from = current;
          g.message(1, (n) =>
            node(n, 'DynamicQuantizeLinear', [from], [`x${i}.q`, `x${i}.scale`, `x${i}.zero_point`]),
          );
          g.message(1, (n) =>
            node(n, 'MatMulInteger', [`x${i}.q`, `w${i}.int8`, `x${i}.zero_point`], `acc${i}`),
          );
          g.message(1, (n) => node(n, 'Cast', [`acc${i}`], `accf${i}`, { to: FLOAT }));
          g.message(1, (n) => node(n, 'Mul', [`x${i}.scale`, `w${i}.scale`], `s${i}`));
          g.message(1, (n) => node(n, 'Mul', [`accf${i}`, `s${i}`], `mm${i}`));
        } else g.message(1, (n) => node(n, 'MatMul', [current, `w${i}`], `mm${i}`));
        g.message(1, (n) => node(n, 'Add', [`mm${i}`, `b${i}`], `pre${i}`));
        const out = last ? 'score' : `h${i}`;
        g.message(1, (n) => node(n, last ? 'Sigmoid' : 'Relu', [`pre${i}`], out));
        current = out;
      }
      g.string(2, 'mlp');
      g.message(5, (t) => tensor(t, 'mean', [width], new Float32Array(width)));
      g.message(5, (t) => tensor(t, 'std', [width], new Float32Array(width).fill(1)));
      for (let i = 1; i < sizes.length; i++) {
        const inputs = sizes[i - 1] ?? 1;
        const outputs = sizes[i] ?? 1;
        const w = weights[i - 1] ?? new Float32Array(inputs * outputs);
        if (quantised(i)) {
          const { q, scales } = quantizeColumns(w, inputs, outputs);
          g.message(5, (t) => tensor(t, `w${i}.int8`, [inputs, outputs], q));
          g.message(5, (t) => tensor(t, `w${i}.scale`, [outputs], scales));
          g.message(5, (t) => tensor(t, `w${i}.zero_point`, [outputs], new Int8Array(outputs)));
        } else g.message(5, (t) => tensor(t, `w${i}`, [inputs, outputs], w));
        g.message(5, (t) => tensor(t, `b${i}`, [outputs], new Float32Array(outputs)));
      }
      g.message(11, (v) => valueInfo(v, 'features', width));
      g.message(12, (v) => valueInfo(v, 'score', 1));
    })
    .message(8, (o) => o.string(1, '').varint(2, 17)) // opset_import: default domain, opset 17
    .finish();
}

/** The sequence family's shape in the scorer: fs-v1's 19 features, 16 steps of 7, a GRU of 16, head 32-16-1. */
const SEQUENCE = { flat: 19, steps: 16, stepWidth: 7, gru: 16, head: [32, 16, 1] } as const;

/**
 * A sequence-family graph as buildSequenceOnnx writes it (standardise both inputs, Transpose to
 * time-major, GRU, Squeeze its last state, Concat with the flat features, the dense head), with
 * pseudo-random weights: `features` [N, 19] and `sequence` [N, 16, 7] in, `score` [N, 1] out.
 */
function sequenceOnnx(seed: number): Uint8Array {
  const { flat: F, steps: K, stepWidth: S, gru: H, head } = SEQUENCE;
  const sizes = [F + H, ...head];
  const [W = new Float32Array(0)] = mlpWeights([S, 3 * H], seed);
  const [R = new Float32Array(0)] = mlpWeights([H, 3 * H], seed + 1);
  const headWeights = mlpWeights(sizes, seed + 2);
  return new ProtoWriter()
    .varint(1, 8) // ir_version
    .string(2, 'fraudstream-gpu-bench')
    .message(7, (g) => {
      g.message(1, (n) => node(n, 'Sub', ['features', 'mean'], 'centred'));
      g.message(1, (n) => node(n, 'Div', ['centred', 'std'], 'flat'));
      g.message(1, (n) => node(n, 'Sub', ['sequence', 'step_mean'], 'seq_centred'));
      g.message(1, (n) => node(n, 'Div', ['seq_centred', 'step_std'], 'seq_z'));
      g.message(1, (n) => node(n, 'Transpose', ['seq_z'], 'seq_tnf', {}, { perm: [1, 0, 2] }));
      g.message(1, (n) =>
        node(n, 'GRU', ['seq_tnf', 'gru.W', 'gru.R', 'gru.B'], ['', 'gru_last'], {
          hidden_size: H,
          linear_before_reset: 0,
        }),
      );
      g.message(1, (n) => node(n, 'Squeeze', ['gru_last', 'squeeze_axes'], 'state'));
      g.message(1, (n) => node(n, 'Concat', ['flat', 'state'], 'h0', { axis: 1 }));
      let current = 'h0';
      for (let i = 1; i < sizes.length; i++) {
        const last = i === sizes.length - 1;
        g.message(1, (n) => node(n, 'MatMul', [current, `w${i}`], `mm${i}`));
        g.message(1, (n) => node(n, 'Add', [`mm${i}`, `b${i}`], `pre${i}`));
        const out = last ? 'score' : `h${i}`;
        g.message(1, (n) => node(n, last ? 'Sigmoid' : 'Relu', [`pre${i}`], out));
        current = out;
      }
      g.string(2, 'sequence');
      g.message(5, (t) => tensor(t, 'mean', [F], new Float32Array(F)));
      g.message(5, (t) => tensor(t, 'std', [F], new Float32Array(F).fill(1)));
      g.message(5, (t) => tensor(t, 'step_mean', [S], new Float32Array(S)));
      g.message(5, (t) => tensor(t, 'step_std', [S], new Float32Array(S).fill(1)));
      // ONNX's W [1, 3H, S] and R [1, 3H, H]: any weights do for speed.
      g.message(5, (t) => tensor(t, 'gru.W', [1, 3 * H, S], W));
      g.message(5, (t) => tensor(t, 'gru.R', [1, 3 * H, H], R));
      g.message(5, (t) => tensor(t, 'gru.B', [1, 6 * H], new Float32Array(6 * H)));
      g.message(5, (t) => tensor(t, 'squeeze_axes', [1], BigInt64Array.of(0n)));
      for (let i = 1; i < sizes.length; i++) {
        const inputs = sizes[i - 1] ?? 1;
        const outputs = sizes[i] ?? 1;
        const w = headWeights[i - 1] ?? new Float32Array(inputs * outputs);
        g.message(5, (t) => tensor(t, `w${i}`, [inputs, outputs], w));
        g.message(5, (t) => tensor(t, `b${i}`, [outputs], new Float32Array(outputs)));
      }
      g.message(11, (v) => valueInfo(v, 'features', F));
      g.message(11, (v) => valueInfo(v, 'sequence', [K, S]));
      g.message(12, (v) => valueInfo(v, 'score', 1));
    })
    .message(8, (o) => o.string(1, '').varint(2, 17)) // opset_import: default domain, opset 17
    .finish();
}

// ---- the benchmark ----------------------------------------------------------------------------

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const OUT = arg('--out') ?? arg('--json') ?? 'bench-results/gpu.json';
const MAX_BATCH = Number(arg('--max-batch') ?? 32_768);
const SECONDS_PER_POINT = Number(arg('--seconds') ?? 1.5);
const BATCHES = [1, 8, 64, 256, 1024, 4096, 16_384, 32_768].filter((b) => b <= MAX_BATCH);
const PROVIDERS = ['cpu', 'webgpu'] as const;
/** `--models default,wide,sequence`: only the models whose names start so (default: all). */
const ONLY = arg('--models')?.split(',') ?? null;
type Provider = (typeof PROVIDERS)[number];

const MODELS: readonly { name: string; sizes: number[] }[] = [
  // The default scorer MLP: 19 features (libs/features), hidden layers 32 and 16.
  { name: 'default_19_32_16_1', sizes: [19, 32, 16, 1] },
  // A base model of three such networks side by side (TRAINER_BASE_ENSEMBLE=3): one MLP of 96 and
  // 48 hidden units, block-diagonal, which ONNX runs as the dense graph it is.
  { name: 'ensemble3_19_96_48_1', sizes: [19, 96, 48, 1] },
  { name: 'wide_64_1024_1024_512_1', sizes: [64, 1024, 1024, 512, 1] },
];

interface Point {
  batch: number;
  runs: number;
  median_ms: number;
  p90_ms: number;
  rows_per_s: number;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function createSession(
  bytes: Uint8Array,
  provider: Provider,
  foldQdq = false,
): Promise<ort.InferenceSession> {
  const threads = cpus().length;
  return ort.InferenceSession.create(bytes, {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(provider === 'cpu' ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
    // As the scorer's workers load models (libs/model onnx-worker.source.ts): DequantizeLinear of
    // constant weights folds into float weights at load.
    ...(foldQdq ? { extra: { session: { disable_quant_qdq: '1' } } } : {}),
  });
}

function input(rows: number, width: number, dims: readonly number[] = [rows, width]): ort.Tensor {
  const data = new Float32Array(rows * width);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 2;
  return new ort.Tensor('float32', data, [...dims]);
}

/** A model's inputs for a batch of `rows`. */
type Feeds = (rows: number) => Record<string, ort.Tensor>;

/** One `features` [N, width] input (the MLPs). */
const flatFeeds =
  (width: number): Feeds =>
  (rows) => ({ features: input(rows, width) });

/** The sequence family's two inputs. */
const sequenceFeeds: Feeds = (rows) => ({
  features: input(rows, SEQUENCE.flat),
  sequence: input(rows, SEQUENCE.steps * SEQUENCE.stepWidth, [rows, SEQUENCE.steps, SEQUENCE.stepWidth]),
});

function point(batch: number, times: number[]): Point {
  times.sort((a, b) => a - b);
  const median = quantile(times, 0.5);
  return {
    batch,
    runs: times.length,
    median_ms: Number(median.toFixed(4)),
    p90_ms: Number(quantile(times, 0.9).toFixed(4)),
    rows_per_s: Math.round((batch / median) * 1000),
  };
}

/**
 * Sessions of the same model shape (the float graph and its int8 variant) on one batch, their runs
 * interleaved so that load from other processes falls on both alike: their ratio is what one run can
 * compare on a shared machine (measured one after the other, the first went 1.5x slower).
 */
async function measure(
  sessions: readonly ort.InferenceSession[],
  feedsOf: Feeds,
  batch: number,
): Promise<Point[]> {
  const feeds = feedsOf(batch);
  // warm-up: kernels, buffers, shader compilation
  for (const session of sessions) for (let i = 0; i < 3; i++) await session.run(feeds);
  const times = sessions.map((): number[] => []);
  const deadline = performance.now() + SECONDS_PER_POINT * 1000 * sessions.length;
  for (let round = 0; round < 5 || (performance.now() < deadline && round < 200); round++)
    for (const [k, session] of sessions.entries()) {
      const started = performance.now();
      await session.run(feeds);
      times[k]?.push(performance.now() - started);
    }
  return times.map((t) => point(batch, t));
}

interface Variant {
  readonly label: string;
  readonly bytes: Uint8Array;
  /** Load it as the scorer does (QDQ rewrites off, DequantizeLinear folded at load). */
  readonly foldQdq?: boolean;
}

interface VariantResult {
  readonly byProvider: Record<string, BenchValue>;
  readonly outputs: Partial<Record<Provider, Float32Array>>;
}

/**
 * Both providers on the variants of one model: rows/s per batch size (the variants interleaved),
 * and each provider's scores of a fixed probe per variant.
 */
async function benchVariants(variants: readonly Variant[], feedsOf: Feeds): Promise<VariantResult[]> {
  const results = variants.map((): VariantResult => ({ byProvider: {}, outputs: {} }));
  const probe = feedsOf(64);
  for (const provider of PROVIDERS) {
    const sessions: ort.InferenceSession[] = [];
    try {
      for (const variant of variants)
        sessions.push(await createSession(variant.bytes, provider, variant.foldQdq ?? false));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.log(`${variants[0]?.label ?? '?'} ${provider}: unavailable (${message.split('\n')[0]})`);
      for (const r of results) r.byProvider[provider] = { available: false, error: message.slice(0, 300) };
      for (const session of sessions) await session.release();
      continue;
    }
    try {
      for (const [k, session] of sessions.entries()) {
        const check = await session.run(probe);
        const r = results[k];
        if (r) r.outputs[provider] = Float32Array.from(check.score?.data as Float32Array);
      }
      const points = variants.map((): Point[] => []);
      for (const batch of BATCHES) {
        const measured = await measure(sessions, feedsOf, batch);
        measured.forEach((p, k) => {
          console.log(
            `${variants[k]?.label ?? '?'} ${provider} batch ${batch}: ${p.median_ms} ms median, ${p.rows_per_s} rows/s`,
          );
          points[k]?.push(p);
        });
      }
      points.forEach((ps, k) => {
        const r = results[k];
        if (!r) return;
        r.byProvider[provider] = {
          available: true,
          points: Object.fromEntries(
            ps.map((p) => [
              `batch_${p.batch}`,
              { median_ms: p.median_ms, p90_ms: p.p90_ms, rows_per_s: p.rows_per_s, runs: p.runs },
            ]),
          ),
        };
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      for (const r of results)
        r.byProvider[provider] = { available: false, error: `run failed: ${message.slice(0, 300)}` };
    } finally {
      for (const session of sessions) await session.release();
    }
  }
  return results;
}

/**
 * How much a row's score depends on the rows batched with it: the first 8 rows of a 64-row probe
 * scored alone and in the batch, largest difference (cpu). Float arithmetic gives ~0; quantised
 * activations take their scale from the whole batch's range.
 */
async function batchDependence(bytes: Uint8Array, width: number, foldQdq: boolean): Promise<number> {
  const session = await createSession(bytes, 'cpu', foldQdq);
  try {
    const probe = input(64, width);
    const batch = (await session.run({ features: probe })).score?.data as Float32Array;
    let max = 0;
    for (let r = 0; r < 8; r++) {
      const row = new ort.Tensor('float32', (probe.data as Float32Array).slice(r * width, (r + 1) * width), [
        1,
        width,
      ]);
      const alone = (await session.run({ features: row })).score?.data as Float32Array;
      max = Math.max(max, Math.abs((alone[0] ?? 0) - (batch[r] ?? 0)));
    }
    return max;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: Float32Array | undefined, b: Float32Array | undefined): number | null {
  if (!a || !b) return null;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

async function main(): Promise<void> {
  const results: Record<string, BenchValue> = {
    cpu_cores: cpus().length,
    onnxruntime: ort.env.versions.common ?? 'unknown',
    batches: BATCHES,
  };
  for (const model of MODELS.filter((m) => ONLY === null || ONLY.some((o) => m.name.startsWith(o)))) {
    const weights = mlpWeights(model.sizes, 42);
    const width = model.sizes[0] ?? 1;
    const float = mlpOnnx(model.sizes, weights, 'float');
    const int8 = mlpOnnx(model.sizes, weights, 'int8');
    const dynamic = mlpOnnx(model.sizes, weights, 'dynamic');
    // float; int8 in a plain session (DequantizeLinear runs on every call); int8 as the scorer
    // loads it (folded into float weights at load: the artifact is smaller, the session is not).
    // and int8 weights times int8 activations (dynamic quantisation: not what the scorer serves).
    const [f, q, folded, dyn] = await benchVariants(
      [
        { label: model.name, bytes: float },
        { label: `${model.name}_int8`, bytes: int8 },
        { label: `${model.name}_int8_scorer`, bytes: int8, foldQdq: true },
        { label: `${model.name}_int8_dynamic`, bytes: dynamic },
      ],
      flatFeeds(width),
    );
    if (!f || !q || !folded || !dyn) throw new Error('no results');
    results[model.name] = {
      ...f.byProvider,
      bytes: float.length,
      webgpu_vs_cpu_max_abs_diff: maxAbsDiff(f.outputs.cpu, f.outputs.webgpu),
      speedup: speedups(f.byProvider, 'cpu', f.byProvider, 'webgpu'),
      batch_dependence_max_abs_diff: await batchDependence(float, width, false),
    };
    for (const [suffix, v, bytes, foldQdq] of [
      ['int8', q, int8, false],
      ['int8_scorer', folded, int8, true],
      ['int8_dynamic', dyn, dynamic, false],
    ] as const)
      results[`${model.name}_${suffix}`] = {
        batch_dependence_max_abs_diff: await batchDependence(bytes, width, foldQdq),
        ...v.byProvider,
        bytes: bytes.length,
        bytes_vs_float: Number((bytes.length / float.length).toFixed(3)),
        int8_vs_float_max_abs_diff: maxAbsDiff(f.outputs.cpu, v.outputs.cpu),
        webgpu_vs_cpu_max_abs_diff: maxAbsDiff(v.outputs.cpu, v.outputs.webgpu),
        // > 1: faster than the float graph (median ms per run, same provider, runs interleaved).
        speedup_vs_float_cpu: speedups(f.byProvider, 'cpu', v.byProvider, 'cpu'),
        speedup_vs_float_webgpu: speedups(f.byProvider, 'webgpu', v.byProvider, 'webgpu'),
      };
  }
  // The sequence family (float only: the int8 variants quantise MLP layers).
  const sequenceName = `sequence_gru${SEQUENCE.gru}_k${SEQUENCE.steps}x${SEQUENCE.stepWidth}_f${SEQUENCE.flat}`;
  if (ONLY === null || ONLY.some((o) => sequenceName.startsWith(o))) {
    const bytes = sequenceOnnx(42);
    const [seq] = await benchVariants([{ label: sequenceName, bytes }], sequenceFeeds);
    if (!seq) throw new Error('no results');
    results[sequenceName] = {
      ...seq.byProvider,
      bytes: bytes.length,
      webgpu_vs_cpu_max_abs_diff: maxAbsDiff(seq.outputs.cpu, seq.outputs.webgpu),
      speedup: speedups(seq.byProvider, 'cpu', seq.byProvider, 'webgpu'),
    };
  }
  reportBench('onnxruntime execution providers', OUT, results);
}

/** Speed-up of `to` over `from` per batch size (from's median / to's median), when both ran. */
function speedups(
  fromProviders: Record<string, BenchValue>,
  from: Provider,
  toProviders: Record<string, BenchValue>,
  to: Provider,
): BenchValue {
  type Points = Record<string, { median_ms: number }>;
  const pointsOf = (byProvider: Record<string, BenchValue>, p: Provider): Points | null => {
    const entry = byProvider[p] as { available?: boolean; points?: Points } | undefined;
    return entry?.available && entry.points ? entry.points : null;
  };
  const base = pointsOf(fromProviders, from);
  const other = pointsOf(toProviders, to);
  if (!base || !other) return null;
  const out: Record<string, BenchValue> = {};
  for (const [key, c] of Object.entries(base)) {
    const g = other[key];
    if (g) out[key] = Number((c.median_ms / g.median_ms).toFixed(3));
  }
  return out;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
