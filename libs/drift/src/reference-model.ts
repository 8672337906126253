import type { ModelManifest } from '@fraudstream/registry';

/** The parts of a model manifest the drift monitor compares against. */
export type ReferenceManifest = Pick<
  ModelManifest,
  'version' | 'feature_names' | 'threshold' | 'metrics' | 'reference'
>;

/** A manifest's reference, prepared once for the hot path: typed edge arrays, sorted samples, feature kinds. */
export interface PreparedReference {
  readonly manifest: ReferenceManifest;
  readonly version: string;
  readonly featureNames: readonly string[];
  /** Per feature, then the score last. */
  readonly edges: readonly Float64Array[];
  readonly fractions: readonly (readonly number[])[];
  readonly samples: readonly Float64Array[];
  /** A feature whose reference sample holds only 0 and 1 is tested with chi-square instead of KS. */
  readonly categorical: readonly boolean[];
  /** The score's reference per value of a calendar feature, or null (then the score is compared whole). */
  readonly scoreStrata: {
    readonly featureIndex: number;
    readonly strata: readonly {
      readonly value: number;
      readonly fractions: readonly number[];
      readonly sample: Float64Array;
    }[];
  } | null;
}

export class ReferenceMismatchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReferenceMismatchError';
  }
}

/** Checks a manifest's reference against its feature list and prepares it; throws ReferenceMismatchError. */
export function prepareReference(manifest: ReferenceManifest): PreparedReference {
  const { reference, feature_names: names } = manifest;
  if (reference.features.length !== names.length) {
    throw new ReferenceMismatchError(
      `model ${manifest.version}: ${reference.features.length} feature profiles for ${names.length} features`,
    );
  }
  const profiles = [...reference.features, reference.score];
  profiles.forEach((p, i) => {
    if (i < names.length && p.name !== names[i]) {
      throw new ReferenceMismatchError(
        `model ${manifest.version}: profile ${i} is '${p.name}', expected '${names[i]}'`,
      );
    }
    if (p.bin_fractions.length !== p.quantile_edges.length + 1) {
      throw new ReferenceMismatchError(
        `model ${manifest.version}: profile '${p.name}' has inconsistent bins`,
      );
    }
  });
  const seasonal = reference.score_by_season;
  const seasonalIndex = seasonal ? names.indexOf(seasonal.feature) : -1;
  const scoreBins = reference.score.quantile_edges.length + 1;
  const scoreStrata =
    seasonal && seasonalIndex >= 0 && seasonal.strata.every((st) => st.bin_fractions.length === scoreBins)
      ? {
          featureIndex: seasonalIndex,
          strata: seasonal.strata.map((st) => ({
            value: st.value,
            fractions: st.bin_fractions,
            sample: Float64Array.from(st.sample).sort(),
          })),
        }
      : null;
  return {
    manifest,
    version: manifest.version,
    scoreStrata,
    featureNames: names,
    edges: profiles.map((p) => Float64Array.from(p.quantile_edges)),
    fractions: profiles.map((p) => p.bin_fractions),
    samples: profiles.map((p) => Float64Array.from(p.sample).sort()),
    categorical: profiles.map(
      (p, i) => i < names.length && p.sample.length > 0 && p.sample.every((v) => v === 0 || v === 1),
    ),
  };
}
