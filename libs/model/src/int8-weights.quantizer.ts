import { onnx } from 'onnx-proto';
import { ModelFormatError } from './model.errors';
import { decodeOnnxGraph } from './onnx-signature';

/** One scale per output column of a weight matrix, or one for the whole matrix. */
export type QuantizationGranularity = 'per-channel' | 'per-tensor';

export interface WeightQuantizationOptions {
  /** Default `per-channel`: a column of small weights keeps its own resolution. */
  readonly granularity?: QuantizationGranularity;
  /**
   * Signed levels used, 2 to 8 (default 8: -127..127). The values are stored as INT8 whatever the
   * width; fewer bits only coarsen the grid (tests use it to make a variant that must fail its gate).
   */
  readonly bits?: number;
  /**
   * What to do with a weight matrix of one output column (the score layer). Default `float`: keep
   * it. onnxruntime 1.30 (level `all`, the scorer's) rewrites such a DequantizeLinear → MatMul into
   * MatMulNBits, which by default also quantises its input activations to int8 (accuracy level 4):
   * the served scores then drift from the weight-only arithmetic by ~1e-3, which cost the unit
   * tests' challenger 0.0099 AP, for the 16 weights (64 bytes) of the 19-32-16-1 model's last layer.
   * The hidden layers escape the rewrite (their MatMul + Add + Relu are fused into FusedGemm first).
   * The scorer's sessions turn those rewrites off (onnx-worker.source.ts), but any plain session
   * would serve the rewrite, so the default costs 64 bytes to be exact everywhere.
   */
  readonly scoreLayer?: 'float' | 'int8';
}

/** What was quantised in one weight matrix. */
export interface QuantizedTensor {
  readonly name: string;
  readonly dims: readonly number[];
  /** The scale of each output column (one entry per tensor for `per-tensor`). */
  readonly scales: readonly number[];
  /** Largest |w - dequantised w| over the matrix (at most half the column's scale). */
  readonly maxAbsError: number;
}

export interface QuantizedOnnx {
  readonly bytes: Uint8Array;
  readonly granularity: QuantizationGranularity;
  readonly bits: number;
  readonly scoreLayer: 'float' | 'int8';
  readonly tensors: readonly QuantizedTensor[];
}

/** Per-axis DequantizeLinear (a scale per output column) needs opset 13. */
export const MIN_QUANTIZATION_OPSET = 13;
/** Metadata key naming the compression inside the graph, beside the manifest's `compression`. */
export const COMPRESSION_METADATA_KEY = 'fraudstream.compression';
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT8 = onnx.TensorProto.DataType.INT8;

function floatValues(tensor: onnx.ITensorProto): Float32Array {
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    // Copy: the protobuf buffer's offset need not be 4-byte aligned.
    const copy = new Uint8Array(raw);
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(tensor.floatData ?? []);
}

function int8Values(tensor: onnx.ITensorProto): Int8Array {
  const raw = tensor.rawData;
  if (raw && raw.length > 0) return Int8Array.from(new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength));
  // Without raw_data ONNX stores int8 values in int32_data.
  return Int8Array.from(tensor.int32Data ?? []);
}

/**
 * Symmetric quantisation of a row-major [rows, cols] matrix: q = round(w / s) clamped to ±qmax with
 * s = max|w| / qmax per column (or over the matrix), zero point 0. The scale is rounded to float32
 * first, so the dequantised weights (q · s, in float32) are exactly what onnxruntime computes.
 */
function quantizeMatrix(
  w: Float32Array,
  rows: number,
  cols: number,
  granularity: QuantizationGranularity,
  qmax: number,
): { q: Int8Array; scales: Float32Array; maxAbsError: number } {
  const groups = granularity === 'per-channel' ? cols : 1;
  const maxAbs = new Float64Array(groups);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const g = groups === 1 ? 0 : j;
      maxAbs[g] = Math.max(maxAbs[g] ?? 0, Math.abs(w[i * cols + j] ?? 0));
    }
  // An all-zero column keeps scale 1 (its values are 0 anyway): a 0 scale would divide by 0.
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? Math.fround(m / qmax) : 1));
  const q = new Int8Array(rows * cols);
  let maxAbsError = 0;
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const s = scales[groups === 1 ? 0 : j] ?? 1;
      const v = w[i * cols + j] ?? 0;
      const level = Math.max(-qmax, Math.min(qmax, Math.round(v / s)));
      q[i * cols + j] = level;
      maxAbsError = Math.max(maxAbsError, Math.abs(v - Math.fround(level * s)));
    }
  return { q, scales, maxAbsError };
}

/**
 * Weight-only int8 quantisation of an ONNX graph: every float 2-D initializer that is only ever the
 * weight input (B) of MatMul or Gemm nodes (but a one-column score layer, see `scoreLayer`) becomes
 * an INT8 initializer `<name>.int8` with a float32 scale (per output channel by default) and an
 * int8 zero point of 0, and a DequantizeLinear node that outputs `<name>` again, so the float MatMul/Gemm, the biases, the standardisation constants
 * (Sub/Div, kept bit for bit) and the graph's inputs and outputs are unchanged: the scorer serves
 * the result exactly as it serves the float model. Activations stay float, so there is no
 * calibration data to choose and the only error is the weights' rounding (at most half a step).
 * The graph must import opset >= 13 (per-axis DequantizeLinear).
 */
export function quantizeOnnxWeights(
  bytes: Uint8Array,
  options: WeightQuantizationOptions = {},
): QuantizedOnnx {
  const granularity = options.granularity ?? 'per-channel';
  const scoreLayer = options.scoreLayer ?? 'float';
  const bits = options.bits ?? 8;
  if (!Number.isInteger(bits) || bits < 2 || bits > 8)
    throw new ModelFormatError(`quantisation bits must be an integer in [2, 8], got ${bits}`);
  const qmax = 2 ** (bits - 1) - 1;
  const { model, graph } = decodeOnnxGraph(bytes);
  const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opset || Number(opset.version) < MIN_QUANTIZATION_OPSET)
    throw new ModelFormatError(
      `the graph imports opset ${opset ? Number(opset.version) : 'none'}; weight quantisation needs >= ${MIN_QUANTIZATION_OPSET}`,
    );
  const nodes = graph.node ?? [];
  if (nodes.some((n) => n.opType === 'DequantizeLinear'))
    throw new ModelFormatError('the graph is already quantised');

  // Output channel axis of each candidate weight; a weight read anywhere else stays float.
  const axisOf = new Map<string, number>();
  const excluded = new Set<string>();
  for (const node of nodes) {
    (node.input ?? []).forEach((input, position) => {
      const isWeight = position === 1 && (node.opType === 'MatMul' || node.opType === 'Gemm');
      if (!isWeight) {
        excluded.add(input);
        return;
      }
      const transB = (node.attribute ?? []).find((a) => a.name === 'transB');
      const axis = node.opType === 'Gemm' && transB && Number(transB.i) === 1 ? 0 : 1;
      if (axisOf.has(input) && axisOf.get(input) !== axis) excluded.add(input);
      axisOf.set(input, axis);
    });
  }
  for (const output of graph.output ?? []) excluded.add(output.name ?? '');

  const tensors: QuantizedTensor[] = [];
  const initializer: onnx.ITensorProto[] = [];
  const dequantize: onnx.INodeProto[] = [];
  for (const tensor of graph.initializer ?? []) {
    const name = tensor.name ?? '';
    const dims = (tensor.dims ?? []).map(Number);
    const axis = axisOf.get(name);
    const [d0, d1] = dims;
    if (
      axis === undefined ||
      excluded.has(name) ||
      tensor.dataType !== FLOAT ||
      d0 === undefined ||
      d1 === undefined ||
      dims.length !== 2 ||
      (scoreLayer === 'float' && (axis === 1 ? d1 : d0) === 1)
    ) {
      initializer.push(tensor);
      continue;
    }
    // Quantise along the output channels: columns of [in, out] (axis 1), rows of a transposed Gemm B.
    const values = floatValues(tensor);
    const transposed = axis === 0;
    const [rows, cols] = transposed ? [d1, d0] : [d0, d1];
    const matrix = transposed ? transpose(values, d0, d1) : values;
    const { q, scales, maxAbsError } = quantizeMatrix(matrix, rows, cols, granularity, qmax);
    const stored = transposed ? transposeInt8(q, rows, cols) : q;
    const scaleDims = granularity === 'per-channel' ? [scales.length] : [];
    initializer.push(
      { name: `${name}.int8`, dims, dataType: INT8, rawData: new Uint8Array(stored.buffer) },
      {
        name: `${name}.scale`,
        dims: scaleDims,
        dataType: FLOAT,
        rawData: new Uint8Array(scales.buffer, scales.byteOffset, scales.byteLength),
      },
      {
        name: `${name}.zero_point`,
        dims: scaleDims,
        dataType: INT8,
        rawData: new Uint8Array(scales.length),
      },
    );
    dequantize.push({
      opType: 'DequantizeLinear',
      input: [`${name}.int8`, `${name}.scale`, `${name}.zero_point`],
      output: [name],
      name: `${name}_dequantize`,
      attribute:
        granularity === 'per-channel'
          ? [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: axis }]
          : [],
    });
    tensors.push({ name, dims, scales: Array.from(scales), maxAbsError });
  }
  if (tensors.length === 0) throw new ModelFormatError('the graph has no MatMul or Gemm weight to quantise');

  // The decoded model is this function's own copy: it is edited in place and encoded again.
  graph.initializer = initializer.map((t) => onnx.TensorProto.create(t));
  graph.node = [...dequantize.map((n) => onnx.NodeProto.create(n)), ...nodes];
  model.metadataProps = [
    ...model.metadataProps.filter((p) => p.key !== COMPRESSION_METADATA_KEY),
    onnx.StringStringEntryProto.create({
      key: COMPRESSION_METADATA_KEY,
      value: `int8-weights ${granularity} ${bits}-bit`,
    }),
  ];
  return { bytes: onnx.ModelProto.encode(model).finish(), granularity, bits, scoreLayer, tensors };
}

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j] ?? 0;
  return out;
}

function transposeInt8(values: Int8Array, rows: number, cols: number): Int8Array {
  const out = new Int8Array(values.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j] ?? 0;
  return out;
}

/**
 * The float32 values a DequantizeLinear node of the graph produces for `output` (q · scale, as
 * onnxruntime computes them), or null when no DequantizeLinear node outputs it. Lets readers of
 * float weights (readMlpOnnx, warm starts, the trainer's gate) read a quantised graph too.
 */
export function dequantizedInitializer(graph: onnx.IGraphProto, output: string): Float32Array | null {
  const node = (graph.node ?? []).find((n) => n.opType === 'DequantizeLinear' && n.output?.[0] === output);
  if (!node) return null;
  const byName = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const [qName = '', scaleName = '', zeroName] = node.input ?? [];
  const qTensor = byName.get(qName);
  const scaleTensor = byName.get(scaleName);
  if (!qTensor || !scaleTensor || qTensor.dataType !== INT8)
    throw new ModelFormatError(`DequantizeLinear ${node.name ?? output} does not read an INT8 initializer`);
  const q = int8Values(qTensor);
  const scales = floatValues(scaleTensor);
  const zeroTensor = zeroName ? byName.get(zeroName) : undefined;
  const zeros = zeroTensor ? int8Values(zeroTensor) : new Int8Array(scales.length);
  const dims = (qTensor.dims ?? []).map(Number);
  const attribute = (node.attribute ?? []).find((a) => a.name === 'axis');
  const axis = attribute ? Number(attribute.i) : 1;
  const cols = dims[1] ?? 1;
  const out = new Float32Array(q.length);
  for (let k = 0; k < q.length; k++) {
    const channel = scales.length === 1 ? 0 : axis === 0 ? Math.floor(k / cols) : k % cols;
    out[k] = Math.fround(((q[k] ?? 0) - (zeros[channel] ?? 0)) * (scales[channel] ?? 0));
  }
  return out;
}
