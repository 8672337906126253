/*
 * The worker thread that owns onnxruntime sessions. It is kept as source text run with
 * `new Worker(source, { eval: true })` so the same code works under Vitest (which runs .ts in memory)
 * and from dist/ after the SWC build (which copies no non-.ts files), with no file path to resolve.
 * The main thread passes the resolved path of onnxruntime-node in workerData.
 *
 * Messages in:  { op: 'load', id, key, bytes, options, layout } | { op: 'run', id, key, data, rows, width }
 *               | { op: 'unload', id, key } | { op: 'close', id } (release every session)
 * Messages out: { id, ok: true, ... } | { id, ok: false, error }
 */
export const ONNX_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.onnxruntimePath);
const sessions = new Map();

function fail(id, error) {
  parentPort.postMessage({ id, ok: false, error: error && error.message ? error.message : String(error) });
}

async function load(message) {
  const { key, bytes, options } = message;
  const layout = message.layout || { kind: 'flat' };
  const sessionOptions = {
    executionProviders: [options.executionProvider],
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: options.interOpThreads,
    graphOptimizationLevel: 'all',
    // An int8-weights model (quantizeOnnxWeights) has DequantizeLinear nodes on constant weights.
    // onnxruntime keeps them as nodes for its QDQ rewrites, so they would dequantise every weight on
    // every run (the wide bench model 17-35x slower at batch 1) and rewrite MatMuls into kernels that
    // quantise activations too. Without the QDQ rewrites they fold into float weights at load: the
    // scores are the weight-only arithmetic and the speed the float model's. No effect on float models.
    extra: { session: { disable_quant_qdq: '1' } },
  };
  const session = await ort.InferenceSession.create(bytes, sessionOptions);
  const previous = sessions.get(key);
  sessions.set(key, { session, layout, input: session.inputNames[0], output: session.outputNames[0] });
  if (previous) await previous.session.release();
  return { inputNames: session.inputNames, outputNames: session.outputNames };
}

// The sequence family's rows hold the flat features, then the [K, S] block: split into its two inputs.
function feedsOf(entry, data, rows, width) {
  const layout = entry.layout;
  if (layout.kind !== 'sequence') return { [entry.input]: new ort.Tensor('float32', data, [rows, width]) };
  const F = layout.flatWidth;
  const B = layout.steps * layout.stepWidth;
  if (F + B !== width) throw new Error('rows of ' + width + ' values, the model reads ' + (F + B));
  const flat = new Float32Array(rows * F);
  const block = new Float32Array(rows * B);
  for (let r = 0; r < rows; r++) {
    flat.set(data.subarray(r * width, r * width + F), r * F);
    block.set(data.subarray(r * width + F, (r + 1) * width), r * B);
  }
  return {
    [layout.featuresName]: new ort.Tensor('float32', flat, [rows, F]),
    [layout.sequenceName]: new ort.Tensor('float32', block, [rows, layout.steps, layout.stepWidth]),
  };
}

async function run(message) {
  const entry = sessions.get(message.key);
  if (!entry) throw new Error('no session loaded for model ' + message.key);
  const result = await entry.session.run(feedsOf(entry, message.data, message.rows, message.width));
  const output = result[entry.output];
  // Copy out of ORT's buffer so it can be transferred without detaching memory ORT still owns.
  const scores = new Float32Array(message.rows);
  const data = output.data;
  const stride = data.length / message.rows;
  for (let i = 0; i < message.rows; i++) scores[i] = data[i * stride];
  return { scores };
}

parentPort.on('message', (message) => {
  const { id, op } = message;
  let work;
  if (op === 'load') work = load(message);
  else if (op === 'run') work = run(message);
  else if (op === 'unload') {
    const entry = sessions.get(message.key);
    sessions.delete(message.key);
    work = entry ? entry.session.release().then(() => ({})) : Promise.resolve({});
  } else if (op === 'close') {
    // Release sessions before the thread is terminated: tearing down a thread that still holds
    // native sessions can abort the whole process from onnxruntime's finalizers.
    const entries = [...sessions.values()];
    sessions.clear();
    work = Promise.allSettled(entries.map((entry) => entry.session.release())).then(() => ({}));
  } else work = Promise.reject(new Error('unknown op ' + op));
  work.then(
    (result) => {
      if (result.scores) parentPort.postMessage({ id, ok: true, ...result }, [result.scores.buffer]);
      else parentPort.postMessage({ id, ok: true, ...result });
    },
    (error) => fail(id, error),
  );
});
`;
