/*
 * ONNX Runtime execution providers compared on the scorer's models: the default-size MLP and a wide
 * one (64-1024-1024-512-1), with `cpu` and `webgpu`, batch sizes 1 to 32768 (docs/scorer.md).
 *
 *   npm run bench:gpu -- [--out FILE] [--max-batch N] [--seconds S]
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

function tensor(w: ProtoWriter, name: string, dims: number[], values: Float32Array): void {
  for (const d of dims) w.varint(1, d); // dims
  w.varint(2, FLOAT); // data_type
  w.string(8, name);
  w.bytes(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)); // raw_data
}

function valueInfo(w: ProtoWriter, name: string, width: number): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (t) => {
      t.varint(1, FLOAT);
      t.message(2, (shape) => {
        shape.message(1, (d) => d.string(2, 'N'));
        shape.message(1, (d) => d.varint(1, width));
      });
    }),
  );
}

function node(w: ProtoWriter, op: string, inputs: string[], output: string): void {
  for (const i of inputs) w.string(1, i);
  w.string(2, output);
  w.string(3, `${op}_${output}`);
  w.string(4, op);
}

/** A standardised MLP (the scorer's graph shape) with deterministic pseudo-random weights. */
function mlpOnnx(sizes: readonly number[], seed: number): Uint8Array {
  let state = seed >>> 0;
  const random = (): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
  const width = sizes[0] ?? 1;
  return new ProtoWriter()
    .varint(1, 8) // ir_version
    .string(2, 'fraudstream-gpu-bench')
    .message(7, (g) => {
      g.message(1, (n) => node(n, 'Sub', ['features', 'mean'], 'centred'));
      g.message(1, (n) => node(n, 'Div', ['centred', 'std'], 'h0'));
      let current = 'h0';
      for (let i = 1; i < sizes.length; i++) {
        const last = i === sizes.length - 1;
        g.message(1, (n) => node(n, 'MatMul', [current, `w${i}`], `mm${i}`));
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
        const scale = Math.sqrt(2 / inputs);
        const weights = Float32Array.from({ length: inputs * outputs }, () => (random() * 2 - 1) * scale);
        g.message(5, (t) => tensor(t, `w${i}`, [inputs, outputs], weights));
        g.message(5, (t) => tensor(t, `b${i}`, [outputs], new Float32Array(outputs)));
      }
      g.message(11, (v) => valueInfo(v, 'features', width));
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
type Provider = (typeof PROVIDERS)[number];

const MODELS: readonly { name: string; sizes: number[] }[] = [
  // The default scorer MLP: 19 features (libs/features), hidden layers 32 and 16.
  { name: 'default_19_32_16_1', sizes: [19, 32, 16, 1] },
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

async function createSession(bytes: Uint8Array, provider: Provider): Promise<ort.InferenceSession> {
  const threads = cpus().length;
  return ort.InferenceSession.create(bytes, {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(provider === 'cpu' ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  });
}

function input(rows: number, width: number): ort.Tensor {
  const data = new Float32Array(rows * width);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 2;
  return new ort.Tensor('float32', data, [rows, width]);
}

async function measure(session: ort.InferenceSession, width: number, batch: number): Promise<Point> {
  const feeds = { features: input(batch, width) };
  for (let i = 0; i < 3; i++) await session.run(feeds); // warm-up: kernels, buffers, shader compilation
  const times: number[] = [];
  const deadline = performance.now() + SECONDS_PER_POINT * 1000;
  while (times.length < 5 || (performance.now() < deadline && times.length < 200)) {
    const started = performance.now();
    await session.run(feeds);
    times.push(performance.now() - started);
  }
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

async function main(): Promise<void> {
  const results: Record<string, BenchValue> = {
    cpu_cores: cpus().length,
    onnxruntime: ort.env.versions.common ?? 'unknown',
    batches: BATCHES,
  };
  for (const model of MODELS) {
    const bytes = mlpOnnx(model.sizes, 42);
    const width = model.sizes[0] ?? 1;
    const byProvider: Record<string, BenchValue> = {};
    const probe = input(64, width);
    const outputs: Partial<Record<Provider, Float32Array>> = {};
    for (const provider of PROVIDERS) {
      let session: ort.InferenceSession;
      try {
        session = await createSession(bytes, provider);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        console.log(`${model.name} ${provider}: unavailable (${message.split('\n')[0]})`);
        byProvider[provider] = { available: false, error: message.slice(0, 300) };
        continue;
      }
      try {
        const check = await session.run({ features: probe });
        outputs[provider] = Float32Array.from(check.score?.data as Float32Array);
        const points: Point[] = [];
        for (const batch of BATCHES) {
          const point = await measure(session, width, batch);
          console.log(
            `${model.name} ${provider} batch ${batch}: ${point.median_ms} ms median, ${point.rows_per_s} rows/s`,
          );
          points.push(point);
        }
        byProvider[provider] = {
          available: true,
          points: Object.fromEntries(
            points.map((p) => [
              `batch_${p.batch}`,
              { median_ms: p.median_ms, p90_ms: p.p90_ms, rows_per_s: p.rows_per_s, runs: p.runs },
            ]),
          ),
        };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        byProvider[provider] = { available: false, error: `run failed: ${message.slice(0, 300)}` };
      } finally {
        await session.release();
      }
    }
    const cpu = outputs.cpu;
    const gpu = outputs.webgpu;
    let maxAbsDiff: number | null = null;
    if (cpu && gpu) {
      maxAbsDiff = 0;
      for (let i = 0; i < cpu.length; i++)
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs((cpu[i] ?? 0) - (gpu[i] ?? 0)));
    }
    results[model.name] = {
      ...byProvider,
      webgpu_vs_cpu_max_abs_diff: maxAbsDiff,
      speedup: speedups(byProvider),
    };
  }
  reportBench('onnxruntime execution providers', OUT, results);
}

/** webgpu speed-up over cpu per batch size (cpu median / webgpu median), when both ran. */
function speedups(byProvider: Record<string, BenchValue>): BenchValue {
  type Points = Record<string, { median_ms: number }>;
  const pointsOf = (p: string): Points | null => {
    const entry = byProvider[p] as { available?: boolean; points?: Points } | undefined;
    return entry?.available && entry.points ? entry.points : null;
  };
  const cpu = pointsOf('cpu');
  const gpu = pointsOf('webgpu');
  if (!cpu || !gpu) return null;
  const out: Record<string, BenchValue> = {};
  for (const [key, c] of Object.entries(cpu)) {
    const g = gpu[key];
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
