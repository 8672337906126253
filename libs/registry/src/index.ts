export type {
  EvaluationMetrics,
  FeatureProfile,
  ModelManifest,
  ReferenceProfile,
  TrainingLineage,
} from './manifest.types';
