import { FEATURE_COUNT } from './feature-set';

/** Row-major float32 matrix [rows x FEATURE_COUNT] of vectors, the layout ONNX models take. */
export function toFeatureMatrix(vectors: readonly (readonly number[])[]): Float32Array {
  const matrix = new Float32Array(vectors.length * FEATURE_COUNT);
  vectors.forEach((vector, row) => {
    if (vector.length !== FEATURE_COUNT) {
      throw new Error(`feature vector ${row} has ${vector.length} values, expected ${FEATURE_COUNT}`);
    }
    matrix.set(vector, row * FEATURE_COUNT);
  });
  return matrix;
}
