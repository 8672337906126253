import { onnx } from 'onnx-proto';
import {
  IR_VERSION,
  MIN_STD,
  MLP_ONNX_OPSET,
  denseHead,
  floatTensor,
  tensorValues,
  toFloat32,
  valueInfo,
  type MlpLayerSpec,
} from './mlp-onnx.builder';
import { ModelFormatError } from './model.errors';
import { decodeOnnxGraph } from './onnx-signature';

/**
 * The sequence family: the flat features standardised as the MLP does; the card's history block
 * [K, S] standardised per step feature, read by a GRU (reset gate applied before the recurrent
 * product, sigmoid gates, tanh candidate, h0 = 0) from the oldest step to the latest; the GRU's last
 * hidden state next to the standardised flat features feeds a dense head (ReLU between layers,
 * sigmoid last), like the MLP's.
 */
export interface SequenceSpec {
  /** Standardisation of the F flat features. */
  readonly mean: readonly number[] | Float32Array;
  readonly std: readonly number[] | Float32Array;
  /** Standardisation of the S step features (the same for every step). */
  readonly stepMean: readonly number[] | Float32Array;
  readonly stepStd: readonly number[] | Float32Array;
  /** K, the steps of the block. */
  readonly steps: number;
  /**
   * The GRU: `inputWeights` [S][3H] and `recurrentWeights` [H][3H] row-major, columns the update
   * (z), reset (r) and candidate (h) gates in that order; `bias` [3H] (added to the input product).
   */
  readonly gru: {
    readonly inputWeights: Float32Array | readonly number[];
    readonly recurrentWeights: Float32Array | readonly number[];
    readonly bias: Float32Array | readonly number[];
  };
  /** Dense layers over [flat features (F), GRU state (H)]; the last has one output. */
  readonly head: readonly MlpLayerSpec[];
}

/** The graph inputs of a sequence-family model: flat features [N, F] and the block [N, K, S]. */
export const SEQUENCE_INPUT_NAMES = { features: 'features', sequence: 'sequence' } as const;

function int64Tensor(name: string, values: readonly number[]): onnx.ITensorProto {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return {
    name,
    dims: [values.length],
    dataType: onnx.TensorProto.DataType.INT64,
    rawData: new Uint8Array(data.buffer),
  };
}

/** [rows][cols] row-major -> [cols][rows] row-major. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] ?? 0;
  return out;
}

function safeStd(values: Float32Array): Float32Array {
  return values.map((s) => (s > MIN_STD ? s : 1));
}

/**
 * Serialises a sequence-family model as ONNX (opset 17): inputs `features` float32 [N, F] and
 * `sequence` float32 [N, K, S], output `score` float32 [N, 1]. The GRU is ONNX's own GRU operator
 * (linear_before_reset 0), which onnxruntime runs on every execution provider; the standardisation
 * is in the graph, as in the MLP's, so the scorer feeds raw values.
 */
export function buildSequenceOnnx(spec: SequenceSpec): Uint8Array {
  const F = spec.mean.length;
  const S = spec.stepMean.length;
  const K = spec.steps;
  const H3 = spec.gru.bias.length;
  const H = H3 / 3;
  if (F === 0 || S === 0 || !(K > 0) || !Number.isInteger(H) || H === 0)
    throw new ModelFormatError(`a sequence model needs F, S, K and H above 0 (got ${F}, ${S}, ${K}, ${H})`);
  if (spec.std.length !== F || spec.stepStd.length !== S)
    throw new ModelFormatError('standardisation constants of different lengths');
  const inputWeights = toFloat32(spec.gru.inputWeights, 'GRU input weights');
  const recurrentWeights = toFloat32(spec.gru.recurrentWeights, 'GRU recurrent weights');
  if (inputWeights.length !== S * H3 || recurrentWeights.length !== H * H3)
    throw new ModelFormatError(`GRU weights are not [${S}][${H3}] and [${H}][${H3}]`);
  if (spec.head.length === 0 || spec.head[spec.head.length - 1]?.bias.length !== 1)
    throw new ModelFormatError('the head needs layers, the last with exactly one output');

  // ONNX's W is [dirs, 3H, S] and R [dirs, 3H, H] with the same z, r, h row blocks: the transposes.
  const bias = new Float32Array(2 * H3);
  bias.set(toFloat32(spec.gru.bias, 'GRU bias'), 0);
  const initializer: onnx.ITensorProto[] = [
    floatTensor('mean', [F], toFloat32(spec.mean, 'mean')),
    floatTensor('std', [F], safeStd(toFloat32(spec.std, 'std'))),
    floatTensor('step_mean', [S], toFloat32(spec.stepMean, 'step mean')),
    floatTensor('step_std', [S], safeStd(toFloat32(spec.stepStd, 'step std'))),
    floatTensor('gru.W', [1, H3, S], transpose(inputWeights, S, H3)),
    floatTensor('gru.R', [1, H3, H], transpose(recurrentWeights, H, H3)),
    floatTensor('gru.B', [1, 2 * H3], bias),
    int64Tensor('squeeze_axes', [0]),
  ];
  const { features, sequence } = SEQUENCE_INPUT_NAMES;
  const node: onnx.INodeProto[] = [
    { opType: 'Sub', input: [features, 'mean'], output: ['centred'], name: 'standardise_sub' },
    { opType: 'Div', input: ['centred', 'std'], output: ['flat'], name: 'standardise_div' },
    { opType: 'Sub', input: [sequence, 'step_mean'], output: ['seq_centred'], name: 'steps_sub' },
    { opType: 'Div', input: ['seq_centred', 'step_std'], output: ['seq_z'], name: 'steps_div' },
    {
      opType: 'Transpose',
      input: ['seq_z'],
      output: ['seq_tnf'],
      name: 'time_major',
      attribute: [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 0, 2] }],
    },
    {
      opType: 'GRU',
      input: ['seq_tnf', 'gru.W', 'gru.R', 'gru.B'],
      output: ['', 'gru_last'],
      name: 'gru',
      attribute: [
        { name: 'hidden_size', type: onnx.AttributeProto.AttributeType.INT, i: H },
        { name: 'linear_before_reset', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
      ],
    },
    { opType: 'Squeeze', input: ['gru_last', 'squeeze_axes'], output: ['state'], name: 'state' },
    {
      opType: 'Concat',
      input: ['flat', 'state'],
      output: ['h0'],
      name: 'concat',
      attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    },
  ];
  denseHead(spec.head, F + H, 'score', initializer, node);
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'fraudstream',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: MLP_ONNX_OPSET }],
    graph: {
      name: 'fraudstream_sequence',
      node,
      initializer,
      input: [valueInfo(features, ['N', F]), valueInfo(sequence, ['N', K, S])],
      output: [valueInfo('score', ['N', 1])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** A sequence model read back from {@link buildSequenceOnnx}'s bytes (to warm-start fine-tuning). */
export function readSequenceOnnx(bytes: Uint8Array): SequenceSpec {
  const { graph } = decodeOnnxGraph(bytes);
  const byName = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const read = (name: string): { values: Float32Array; dims: number[] } => {
    const tensor = byName.get(name);
    if (!tensor) throw new ModelFormatError(`ONNX model has no initializer ${name}`);
    return { values: tensorValues(tensor), dims: (tensor.dims ?? []).map(Number) };
  };
  const W = read('gru.W');
  const R = read('gru.R');
  const [, H3 = 0, S = 0] = W.dims;
  const H = H3 / 3;
  const sequenceInput = (graph.input ?? []).find((i) => i.name === SEQUENCE_INPUT_NAMES.sequence);
  const steps = Number(sequenceInput?.type?.tensorType?.shape?.dim?.[1]?.dimValue ?? 0);
  const head: { weights: Float32Array; bias: Float32Array }[] = [];
  for (let i = 0; byName.has(`layer${i}.weight`); i++)
    head.push({ weights: read(`layer${i}.weight`).values, bias: read(`layer${i}.bias`).values });
  return {
    mean: Array.from(read('mean').values),
    std: Array.from(read('std').values),
    stepMean: Array.from(read('step_mean').values),
    stepStd: Array.from(read('step_std').values),
    steps,
    gru: {
      inputWeights: transpose(W.values, H3, S),
      recurrentWeights: transpose(R.values, H3, H),
      bias: read('gru.B').values.slice(0, H3),
    },
    head,
  };
}
