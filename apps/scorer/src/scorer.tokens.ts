/** Injection tokens of the scorer's runtime objects (plain classes from libs/model built by factories). */
export const INFERENCE_RUNTIME = Symbol('InferenceRuntime');
export const FEATURE_EXTRACTOR = Symbol('FeatureExtractor');
