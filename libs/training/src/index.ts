export { initTfjsWasm } from './tfjs-wasm.backend';
export { TrainingJobError } from './training.errors';
export type { TrainingFailureReason } from './training.errors';
export {
  assertFiniteFeatures,
  computeStandardisation,
  countPositives,
  toTrainingMatrix,
} from './training-rows';
export type { TrainingMatrix, TrainingRow } from './training-rows';
export { MlpNetwork } from './mlp.network';
export { SequenceNetwork, computeSequenceStandardisation } from './sequence.network';
export type { SequenceLayout } from './sequence.network';
export { exportNetwork, networkOfOnnx, sequenceLayoutOf } from './scoring-network';
export type { ScoringNetwork } from './scoring-network';
export { composedPrivacySpent, noiseMultiplierFor, privacySpent, sampledGaussianRdp } from './rdp.accountant';
export type { PrivacySpent, RdpConversion, SampledGaussianFit, SampledGaussianRun } from './rdp.accountant';
export { planDpSgd } from './dp-sgd.gradients';
export type { DpSgdPlan, DpSgdSettings } from './dp-sgd.gradients';
export { classWeights, trainMlp } from './mlp.trainer';
export type { ClassWeighting, EpochReport, TrainOptions, TrainResult, TrainableNetwork } from './mlp.trainer';
export { selectThreshold } from './threshold';
export type { ThresholdPolicy } from './threshold';
export { joinMatureLabels } from './mature-labels';
export type { JoinStats, MaturityPolicy, ScoredTransaction } from './mature-labels';
export { sampleReplay, splitWindow } from './data-split';
export type { WindowSplit } from './data-split';
export { decideGate } from './model-gate';
export type { GateConfig, GateDecision } from './model-gate';
export { decideShadow, scorePsi } from './shadow-check';
export type { ShadowBounds, ShadowDecision, ShadowObservation } from './shadow-check';
export { NOVELTY_MIN_GROUP_ROWS, buildNoveltyReference, buildReferenceProfile } from './reference-profile';
export { packageModel, packageQuantizedVariant } from './model-packaging';
export { decideQuantizationGate, judgeQuantizedVariant, registerQuantizedVariant } from './quantized-variant';
export type { QuantizationSettings, QuantizedVariant, VariantOutcome } from './quantized-variant';
export type { PackagedModel } from './model-packaging';
export { deploymentEvent } from './deployment-events';
export { trainBaseModel } from './base-training';
export type { BaseTrainingInput, BaseTrainingResult } from './base-training';
export { FineTuneJob } from './fine-tune.job';
export type { FineTuneJobDeps, FineTuneOutcome, FineTuneStatus } from './fine-tune.job';
export { DeploymentAnnouncer } from './deployment-announcer.service';
export type {
  Announcement,
  AnnouncementContext,
  DeploymentHistory,
  StageAnnouncer,
  StageChangeSpec,
} from './deployment-announcer.service';
export { PrequentialOracle } from './prequential-oracle';
export type { OracleModel, PrequentialOracleInput } from './prequential-oracle';
export { DeploymentLifecycle } from './deployment-lifecycle.service';
export type { LifecycleContext, LifecycleDecision } from './deployment-lifecycle.service';
export { ModelOperations } from './model-operations.service';
export type { OperatorCommand, OperatorRequest } from './model-operations.service';
export type { DeploymentPublisher, TrainingDataSource } from './training-io.types';
export {
  DEFAULT_TRAINER_TOPICS,
  KafkaDeploymentHistory,
  KafkaDeploymentPublisher,
  KafkaTrainingDataSource,
  findRetrainRequest,
  readTopicSnapshot,
} from './kafka-training.adapters';
export type { TrainerTopics } from './kafka-training.adapters';
export {
  checkDpSettings,
  baseTrainOptions,
  defaultTrainingSettings,
  trainingConfigFragment,
  trainingSettingsFrom,
} from './training.settings';
export type { TrainingConfig, TrainingSettings } from './training.settings';
export { logFeatureRows } from './logged-feature-rows';
export { fitNetwork, startNetwork, startSchedule } from './network-start';
export type { FittedNetwork, NetworkStart } from './network-start';
export { federatedAverage } from './federated-averaging';
export type { RegionUpdate } from './federated-averaging';
export {
  decideDistillationGate,
  distillStudent,
  distillationTargets,
  registerDistilledVariant,
} from './distillation';
export type { DistillationSettings } from './distillation';
