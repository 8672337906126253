import { onnx } from 'onnx-proto';
import { ModelFormatError } from './model.errors';

/** ONNX bytes decoded, with their graph; ModelFormatError when they are not an ONNX model or hold no graph. */
export function decodeOnnxGraph(bytes: Uint8Array): { model: onnx.ModelProto; graph: onnx.IGraphProto } {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ModelFormatError('not an ONNX model', { cause: error });
  }
  const graph = model.graph;
  if (!graph) throw new ModelFormatError('ONNX model has no graph');
  return { model, graph };
}

/** One graph input or output: name and dims (a number, or null for a symbolic/unknown dim). */
export interface OnnxTensorInfo {
  readonly name: string;
  readonly dims: readonly (number | null)[];
  readonly elemType: number;
}

/** The externally visible interface of an ONNX graph. */
export interface OnnxSignature {
  readonly inputs: readonly OnnxTensorInfo[];
  readonly outputs: readonly OnnxTensorInfo[];
  readonly opset: number | null;
  readonly irVersion: number;
}

/** ONNX element type of float32 tensors. */
export const ONNX_FLOAT = onnx.TensorProto.DataType.FLOAT as number;

function tensorInfo(value: onnx.IValueInfoProto, initializers: Set<string>): OnnxTensorInfo | null {
  const name = value.name ?? '';
  // Before IR 4 initializers were also listed as inputs; they are not fed by the caller.
  if (initializers.has(name)) return null;
  const tensor = value.type?.tensorType;
  const dims = (tensor?.shape?.dim ?? []).map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : null,
  );
  return { name, dims, elemType: tensor?.elemType ?? 0 };
}

/** Reads the graph inputs/outputs of ONNX bytes without creating a session. */
export function readOnnxSignature(bytes: Uint8Array): OnnxSignature {
  const { model, graph } = decodeOnnxGraph(bytes);
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const defaultOpset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    inputs: (graph.input ?? [])
      .map((v) => tensorInfo(v, initializers))
      .filter((v): v is OnnxTensorInfo => v !== null),
    outputs: (graph.output ?? [])
      .map((v) => tensorInfo(v, new Set()))
      .filter((v): v is OnnxTensorInfo => v !== null),
    opset:
      defaultOpset?.version !== undefined && defaultOpset.version !== null
        ? Number(defaultOpset.version)
        : null,
    irVersion: Number(model.irVersion ?? 0),
  };
}
