/** ONNX bytes that do not parse or do not describe the expected graph. */
export class ModelFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelFormatError';
  }
}

/**
 * Why a model artifact was refused: the serving model stays. `signature`: the manifest is not signed
 * by a trusted key; `inputs`: the graph's inputs and outputs are not the scorer's feature vector and score.
 */
export type RefusalReason = 'fetch' | 'checksum' | 'manifest' | 'signature' | 'inputs' | 'load' | 'warmup';

/** An artifact that failed verification (checksum, signature, inputs, load or warm-up) and must not serve. */
export class ModelRefusedError extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelRefusedError';
  }
}

/** A scoring run that failed in the worker (a crashed worker, an ORT error). */
export class ScoringError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScoringError';
  }
}
