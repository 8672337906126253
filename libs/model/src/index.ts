export { MLP_ONNX_OPSET, buildMlpOnnx, readMlpOnnx } from './mlp-onnx.builder';
export type { MlpLayerSpec, MlpSpec, MlpWeights } from './mlp-onnx.builder';
export { ONNX_FLOAT, readOnnxSignature } from './onnx-signature';
export type { OnnxSignature, OnnxTensorInfo } from './onnx-signature';
export { ModelFormatError, ModelRefusedError, ScoringError } from './model.errors';
export type { RefusalReason } from './model.errors';
