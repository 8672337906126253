/** Injection tokens of the scorer's runtime objects (plain classes from libs/model built by factories). */
export const INFERENCE_RUNTIME = Symbol('InferenceRuntime');
export const FEATURE_EXTRACTOR = Symbol('FeatureExtractor');
/** The scorer's FeaturePipeline (its store: the replicas' shared state with Redis). */
export const FEATURE_PIPELINE = Symbol('FeaturePipeline');
