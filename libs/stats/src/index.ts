export {
  averagePrecision,
  averagePrecisionUpperBound,
  softAveragePrecision,
  cardPrecisionAtK,
  cardPrecisionTopK,
  dailyCardPrecisionAtK,
  evaluateModel,
  eventDay,
  precisionAtThreshold,
  recallAtThreshold,
  rocAuc,
  rocAucStandardError,
} from './evaluation.stats';
export type { CardPrecisionOptions, CardPrecisionTopK, EvaluationRow } from './evaluation.stats';
export {
  DEFAULT_PROFILE_SAMPLE_SIZE,
  binCounts,
  binIndex,
  buildFeatureProfile,
  quantileSorted,
} from './feature-profile';
export {
  PSI_EPSILON,
  benjaminiHochberg,
  chiSquareGoodnessOfFit,
  jensenShannonDistance,
  kolmogorovSmirnov,
  populationStabilityIndex,
  twoProportionZTest,
  wasserstein1,
} from './distribution.stats';
export type { ChiSquareResult, KsResult, TwoProportionResult } from './distribution.stats';
export { chiSquareSurvival, erfc, normalCdf, normalSurvival } from './special-functions';
export { ksTwoSidedSurvival, smirnovSurvival } from './kolmogorov-distribution';
export {
  hashString,
  mixSeed,
  mulberry32,
  normal,
  poisson,
  shuffleInPlace,
  stochasticRound,
  streamRng,
  uniform,
  uniformInt,
} from './seeded-random';
export type { Rng } from './seeded-random';
export { logRobust, robustScaling } from './robust-scaling';
export { lowerBound } from './sorted-search';
export { centroidOf, microaggregate } from './microaggregation';
export { clusterBootstrap, pairedCardBootstrap, weightedRankingMetrics } from './paired-bootstrap';
export type { ClusterBootstrapResult, PairedBootstrapResult, PairedRow } from './paired-bootstrap';
