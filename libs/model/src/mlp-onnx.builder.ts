import { onnx } from 'onnx-proto';
import { dequantizedInitializer } from './int8-weights.quantizer';
import { ModelFormatError } from './model.errors';
import { decodeOnnxGraph } from './onnx-signature';

/** Weights of one dense layer: `weights` row-major [in][out] (nested rows or flat), `bias` [out]. */
export interface MlpLayerSpec {
  readonly weights: readonly (readonly number[])[] | Float32Array | readonly number[];
  readonly bias: readonly number[] | Float32Array;
}

/** A standardised MLP: z = (x - mean) / std, then dense layers with ReLU between them, sigmoid last. */
export interface MlpSpec {
  readonly mean: readonly number[] | Float32Array;
  readonly std: readonly number[] | Float32Array;
  readonly layers: readonly MlpLayerSpec[];
  /** Graph input name (default `features`). */
  readonly inputName?: string;
  /** Graph output name (default `score`). */
  readonly outputName?: string;
}

/** An MLP read back from ONNX bytes, as plain arrays (weights nested [in][out]). */
export interface MlpWeights {
  readonly mean: number[];
  readonly std: number[];
  readonly layers: { readonly weights: number[][]; readonly bias: number[] }[];
  readonly inputName: string;
  readonly outputName: string;
}

/** Opset 17 with IR version 8: loadable by onnxruntime 1.x from 1.13 on (the project uses 1.30). */
export const MLP_ONNX_OPSET = 17;
/** The ONNX IR version the builders write. */
export const IR_VERSION = 8;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
/** A standard deviation at or below this (a constant feature) is stored as 1 so the graph never divides by 0. */
export const MIN_STD = 1e-12;

/** Float32 copy of `values`; ModelFormatError on a non-finite value. */
export function toFloat32(values: readonly number[] | Float32Array, what: string): Float32Array {
  const out = Float32Array.from(values);
  for (const v of out)
    if (!Number.isFinite(v)) throw new ModelFormatError(`${what} holds a non-finite value`);
  return out;
}

/** A dense layer's weights as row-major [in][out] float32, checked against its shape. */
export function flattenWeights(layer: MlpLayerSpec, inputs: number, index: number): Float32Array {
  const outputs = layer.bias.length;
  const w = layer.weights;
  let flat: Float32Array;
  if (w instanceof Float32Array) flat = toFloat32(w, `layer ${index} weights`);
  else if (w.length > 0 && Array.isArray(w[0])) {
    const rows = w as readonly (readonly number[])[];
    if (rows.length !== inputs)
      throw new ModelFormatError(`layer ${index}: ${rows.length} rows, expected ${inputs}`);
    flat = new Float32Array(inputs * outputs);
    rows.forEach((row, i) => {
      if (row.length !== outputs)
        throw new ModelFormatError(`layer ${index} row ${i}: ${row.length} columns, expected ${outputs}`);
      flat.set(toFloat32(row, `layer ${index} weights`), i * outputs);
    });
  } else flat = toFloat32(w as readonly number[], `layer ${index} weights`);
  if (flat.length !== inputs * outputs)
    throw new ModelFormatError(`layer ${index}: ${flat.length} weights, expected ${inputs}x${outputs}`);
  return flat;
}

/** A float32 initializer. */
export function floatTensor(name: string, dims: number[], values: Float32Array): onnx.ITensorProto {
  // raw_data is little-endian float32, which is what a Float32Array holds on every platform Node runs on.
  return {
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  };
}

/** A float32 graph input or output of `dims` (a string names a symbolic dim). */
export function valueInfo(name: string, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * The dense layers from `h0` (a [N, inputs] activation) to the sigmoid output: for each layer its
 * weight and bias initializers and MatMul + Add, then Relu between layers and Sigmoid after the last
 * (its pre-sigmoid output is `pre<last>`). Appended to `initializer` and `node`.
 */
export function denseHead(
  layers: readonly MlpLayerSpec[],
  inputWidth: number,
  outputName: string,
  initializer: onnx.ITensorProto[],
  node: onnx.INodeProto[],
): void {
  let inputs = inputWidth;
  let current = 'h0';
  layers.forEach((layer, i) => {
    const outputs = layer.bias.length;
    initializer.push(floatTensor(`layer${i}.weight`, [inputs, outputs], flattenWeights(layer, inputs, i)));
    initializer.push(floatTensor(`layer${i}.bias`, [outputs], toFloat32(layer.bias, `layer ${i} bias`)));
    const isLast = i === layers.length - 1;
    const activation = isLast ? 'logit' : `h${i + 1}`;
    node.push(
      {
        opType: 'MatMul',
        input: [current, `layer${i}.weight`],
        output: [`mm${i}`],
        name: `layer${i}_matmul`,
      },
      { opType: 'Add', input: [`mm${i}`, `layer${i}.bias`], output: [`pre${i}`], name: `layer${i}_add` },
      isLast
        ? { opType: 'Sigmoid', input: [`pre${i}`], output: [outputName], name: 'sigmoid' }
        : { opType: 'Relu', input: [`pre${i}`], output: [activation], name: `layer${i}_relu` },
    );
    current = activation;
    inputs = outputs;
  });
}

/**
 * Serialises a standardised MLP as an ONNX model: input `features` float32 [N, F] → Sub(mean) →
 * Div(std) → (MatMul+Add+Relu)* → MatMul+Add → Sigmoid → output `score` float32 [N, 1]. Keeping the
 * standardisation inside the graph means the scorer feeds raw feature values and a model can never be
 * served with another model's constants.
 */
export function buildMlpOnnx(spec: MlpSpec): Uint8Array {
  const width = spec.mean.length;
  if (width === 0) throw new ModelFormatError('an MLP needs at least one input feature');
  if (spec.std.length !== width)
    throw new ModelFormatError(`std has ${spec.std.length} entries, mean ${width}`);
  if (spec.layers.length === 0) throw new ModelFormatError('an MLP needs at least one layer');
  const last = spec.layers[spec.layers.length - 1];
  if (last?.bias.length !== 1) throw new ModelFormatError('the last layer must have exactly one output');
  const inputName = spec.inputName ?? 'features';
  const outputName = spec.outputName ?? 'score';

  const std = toFloat32(spec.std, 'std').map((s) => (s > MIN_STD ? s : 1));
  const initializer: onnx.ITensorProto[] = [
    floatTensor('mean', [width], toFloat32(spec.mean, 'mean')),
    floatTensor('std', [width], std),
  ];
  const node: onnx.INodeProto[] = [
    { opType: 'Sub', input: [inputName, 'mean'], output: ['centred'], name: 'standardise_sub' },
    { opType: 'Div', input: ['centred', 'std'], output: ['h0'], name: 'standardise_div' },
  ];
  denseHead(spec.layers, width, outputName, initializer, node);

  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'fraudstream',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: MLP_ONNX_OPSET }],
    graph: {
      name: 'fraudstream_mlp',
      node,
      initializer,
      input: [valueInfo(inputName, ['N', width])],
      output: [valueInfo(outputName, ['N', 1])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The float32 values of an initializer. */
export function tensorValues(tensor: onnx.ITensorProto): Float32Array {
  if (tensor.dataType !== FLOAT) throw new ModelFormatError(`initializer ${tensor.name} is not float32`);
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    // Copy: the protobuf buffer's offset need not be 4-byte aligned.
    const copy = new Uint8Array(raw);
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(tensor.floatData ?? []);
}

function dimsOf(tensor: onnx.ITensorProto): number[] {
  return (tensor.dims ?? []).map(Number);
}

/**
 * Reads an MLP built by {@link buildMlpOnnx} (or any graph naming its initializers `mean`, `std`,
 * `layer<i>.weight` [in, out] and `layer<i>.bias`) back into arrays, e.g. to warm-start fine-tuning.
 */
export function readMlpOnnx(bytes: Uint8Array): MlpWeights {
  const { graph } = decodeOnnxGraph(bytes);
  const byName = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const read = (name: string): onnx.ITensorProto => {
    const tensor = byName.get(name);
    if (!tensor) throw new ModelFormatError(`ONNX model has no initializer ${name}`);
    return tensor;
  };
  const mean = Array.from(tensorValues(read('mean')));
  const std = Array.from(tensorValues(read('std')));
  const layers: MlpWeights['layers'] = [];
  // A weight-quantised graph (quantizeOnnxWeights) holds `<name>.int8` and a DequantizeLinear
  // node that outputs `<name>`: its weights are read back dequantised, as onnxruntime computes them.
  const hasWeight = (name: string): boolean => byName.has(name) || byName.has(`${name}.int8`);
  for (let i = 0; hasWeight(`layer${i}.weight`); i++) {
    const name = `layer${i}.weight`;
    const weightTensor = byName.get(name) ?? read(`${name}.int8`);
    const [inputs, outputs] = dimsOf(weightTensor);
    if (inputs === undefined || outputs === undefined) throw new ModelFormatError(`${name} is not 2-D`);
    const flat = byName.has(name) ? tensorValues(weightTensor) : dequantizedInitializer(graph, name);
    if (!flat) throw new ModelFormatError(`no DequantizeLinear node outputs ${name}`);
    const weights: number[][] = [];
    for (let r = 0; r < inputs; r++) weights.push(Array.from(flat.subarray(r * outputs, (r + 1) * outputs)));
    layers.push({ weights, bias: Array.from(tensorValues(read(`layer${i}.bias`))) });
  }
  if (layers.length === 0) throw new ModelFormatError('ONNX model has no layer0.weight');
  return {
    mean,
    std,
    layers,
    inputName: graph.input?.[0]?.name ?? 'features',
    outputName: graph.output?.[0]?.name ?? 'score',
  };
}
