/*
 * The worker thread that owns onnxruntime sessions. It is kept as source text run with
 * `new Worker(source, { eval: true })` so the same code works under Vitest (which runs .ts in memory)
 * and from dist/ after the SWC build (which copies no non-.ts files), with no file path to resolve.
 * The main thread passes the resolved path of onnxruntime-node in workerData.
 *
 * Messages in:  { op: 'load', id, key, bytes, options } | { op: 'run', id, key, data, rows, width }
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
  sessions.set(key, { session, input: session.inputNames[0], output: session.outputNames[0] });
  if (previous) await previous.session.release();
  return { inputNames: session.inputNames, outputNames: session.outputNames };
}

async function run(message) {
  const entry = sessions.get(message.key);
  if (!entry) throw new Error('no session loaded for model ' + message.key);
  const tensor = new ort.Tensor('float32', message.data, [message.rows, message.width]);
  const result = await entry.session.run({ [entry.input]: tensor });
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
