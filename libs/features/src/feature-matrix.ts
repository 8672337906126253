import { DEFAULT_FEATURE_SET, type FeatureSet } from './feature-set';

/** Row-major float32 matrix [rows x the set's width] of vectors, the layout ONNX models take. */
export function toFeatureMatrix(
  vectors: readonly (readonly number[])[],
  set: FeatureSet = DEFAULT_FEATURE_SET,
): Float32Array {
  const width = set.names.length;
  const matrix = new Float32Array(vectors.length * width);
  vectors.forEach((vector, row) => {
    if (vector.length !== width) {
      throw new Error(
        `feature vector ${row} has ${vector.length} values, expected ${width} (${set.version})`,
      );
    }
    matrix.set(vector, row * width);
  });
  return matrix;
}
