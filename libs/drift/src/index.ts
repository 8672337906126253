export {
  averagePrecision,
  cardPrecisionAtK,
  evaluateModel,
  eventDay,
  precisionAtThreshold,
  recallAtThreshold,
  rocAuc,
} from './evaluation.stats';
export type { EvaluationRow } from './evaluation.stats';
export {
  DEFAULT_PROFILE_SAMPLE_SIZE,
  binCounts,
  binIndex,
  buildFeatureProfile,
  quantileSorted,
} from './feature-profile';
export { chiSquareSurvival, kolmogorovSurvival, normalCdf } from './special-functions';
