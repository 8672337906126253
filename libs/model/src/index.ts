export { MLP_ONNX_OPSET, buildMlpOnnx, readMlpOnnx } from './mlp-onnx.builder';
export type { MlpLayerSpec, MlpSpec, MlpWeights } from './mlp-onnx.builder';
export { SEQUENCE_INPUT_NAMES, buildSequenceOnnx, readSequenceOnnx } from './sequence-onnx.builder';
export type { SequenceSpec } from './sequence-onnx.builder';
export {
  COMPRESSION_METADATA_KEY,
  MIN_QUANTIZATION_OPSET,
  dequantizedInitializer,
  quantizeOnnxWeights,
} from './int8-weights.quantizer';
export type {
  QuantizationGranularity,
  QuantizedOnnx,
  QuantizedTensor,
  WeightQuantizationOptions,
} from './int8-weights.quantizer';
export { ONNX_FLOAT, readOnnxSignature } from './onnx-signature';
export type { OnnxSignature, OnnxTensorInfo } from './onnx-signature';
export { ModelFormatError, ModelRefusedError, ScoringError } from './model.errors';
export type { RefusalReason } from './model.errors';
export type {
  ExecutionProvider,
  InferenceRuntime,
  ModelInputLayout,
  SessionOptions,
} from './inference-runtime.types';
export { OnnxWorkerPool } from './onnx-worker-pool.adapter';
export { MicroBatcher } from './micro-batcher';
export type { BatchRunner, MicroBatcherOptions } from './micro-batcher';
export { inputLayoutOf, loadVerifiedModel } from './model-loader';
export type { ModelLocation, VerifiedModel } from './model-loader';
export { LoadedModel } from './loaded-model';
export { ModelManager } from './model-manager.service';
export type { ModelLease, ModelManagerOptions, ModelRefusal } from './model-manager.service';
export { counterfactualRows, severityOf, topReasons } from './alert-reasons';
export type {
  DuplicateInBatch,
  ExtractedFeatures,
  FeatureExtractor,
  TransactionPositions,
} from './feature-extractor.types';
export { SerialFeatureExtractor } from './feature-extractor.adapter';
export type { FeatureComputation } from './feature-extractor.adapter';
export { TransactionScorer, systemClock } from './transaction-scorer.service';
export type { Clock, ScoredBatch, TransactionScorerOptions } from './transaction-scorer.service';
export { modelMetrics } from './model.metrics';
export type { ModelMetrics } from './model.metrics';
export { randomMlpSpec, randomSequenceSpec, sequenceLayoutOf, writeModelFixture } from './model-fixtures';
export type { ModelFixture, ModelFixtureOptions } from './model-fixtures';
