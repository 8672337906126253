import { ConfigError } from '@fraudstream/config';
import { trainingSettingsFrom } from '@fraudstream/training';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '@fraudstream/contracts';
import { JobExit, exitCodeOf } from './one-shot.job';
import { loadTrainerConfig } from './trainer.config';

describe(loadTrainerConfig.name, () => {
  it('defaults to the file registry under var/models and the documented gate', () => {
    const config = loadTrainerConfig({});
    expect(config.MODEL_STORE).toBe('file');
    expect(config.MODEL_STORE_ROOT).toBe('var/models');
    const settings = trainingSettingsFrom(config);
    expect(settings.hiddenUnits).toEqual([32, 16]);
    expect(settings.gate).toEqual({
      minAveragePrecisionGain: 0.01,
      maxAveragePrecisionDrop: 0.02,
      maxRelativeApDropOnShift: 0.2,
      maxRocAucDrop: 0.01,
      maxCardPrecisionDrop: 0.05,
      minPositives: 5,
      fairness: { maxGapWidening: 0.2, minExpectedCount: 5, minCards: 10 },
      noise: { z: 1.645, resamples: 200 },
      evidenceTriggers: ['NEW_PATTERN', 'MISSED_FRAUDS'],
      evidenceMinAveragePrecisionGain: 0,
      evidenceNoise: true,
    });
    expect(settings.chargebackWindowMs).toBe(7 * DAY_MS);
    expect(config.FEATURE_SET).toBe('fs-v1');
  });

  it('trains on the feature set FEATURE_SET names, and refuses one this code does not compute', () => {
    expect(loadTrainerConfig({ FEATURE_SET: 'fs-v2' }).FEATURE_SET).toBe('fs-v2');
    expect(() => loadTrainerConfig({ FEATURE_SET: 'fs-v9' })).toThrow(/FEATURE_SET/);
  });

  it('trains the sequence family only on a feature set with a history block', () => {
    const config = loadTrainerConfig({ FEATURE_SET: 'fs-v1-seq16', TRAINER_MODEL_FAMILY: 'sequence' });
    expect(trainingSettingsFrom(config).modelFamily).toBe('sequence');
    expect(trainingSettingsFrom(loadTrainerConfig({})).modelFamily).toBe('mlp');
    expect(() => loadTrainerConfig({ TRAINER_MODEL_FAMILY: 'sequence' })).toThrow(/TRAINER_MODEL_FAMILY/);
    expect(() => loadTrainerConfig({ TRAINER_MODEL_FAMILY: 'transformer' })).toThrow(/TRAINER_MODEL_FAMILY/);
  });

  it('lists every bad field at once', () => {
    let error: unknown;
    try {
      loadTrainerConfig({
        TRAINER_HIDDEN_UNITS: '32,,16',
        GATE_MAX_ROC_AUC_DROP: '2',
        MODEL_STORE: 'ftp',
        GATE_MAX_FAIRNESS_GAP_WIDENING: '-0.1',
        GATE_FAIRNESS_MIN_SEGMENT_CARDS: '1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const field of [
      'TRAINER_HIDDEN_UNITS',
      'GATE_MAX_ROC_AUC_DROP',
      'MODEL_STORE',
      'GATE_MAX_FAIRNESS_GAP_WIDENING',
      'GATE_FAIRNESS_MIN_SEGMENT_CARDS',
    ])
      expect(message).toContain(field);
  });
});

describe('trainer config of DP-SGD', () => {
  it('is off by default, and set by a target epsilon with the documented delta and clip norm', () => {
    expect(trainingSettingsFrom(loadTrainerConfig({})).privacy).toBeNull();
    expect(trainingSettingsFrom(loadTrainerConfig({ TRAINER_DP_EPSILON: '3' })).privacy).toEqual({
      targetEpsilon: 3,
      noiseMultiplier: null,
      delta: 1e-5,
      clipNorm: 1,
      maxCumulativeEpsilon: null,
    });
    expect(
      trainingSettingsFrom(
        loadTrainerConfig({ TRAINER_DP_NOISE_MULTIPLIER: '1.1', TRAINER_DP_CLIP_NORM: '0.5' }),
      ).privacy,
    ).toMatchObject({ targetEpsilon: null, noiseMultiplier: 1.1, clipNorm: 0.5 });
  });

  it("takes a budget for the epsilon a model's DP-SGD ancestry may spend, and refuses a non-positive one", () => {
    expect(
      trainingSettingsFrom(
        loadTrainerConfig({ TRAINER_DP_EPSILON: '3', TRAINER_DP_MAX_CUMULATIVE_EPSILON: '8' }),
      ).privacy?.maxCumulativeEpsilon,
    ).toBe(8);
    expect(() =>
      loadTrainerConfig({ TRAINER_DP_EPSILON: '3', TRAINER_DP_MAX_CUMULATIVE_EPSILON: '0' }),
    ).toThrow(/TRAINER_DP_MAX_CUMULATIVE_EPSILON/);
  });

  it('refuses a target epsilon and a noise multiplier together, and a non-positive epsilon', () => {
    expect(() => loadTrainerConfig({ TRAINER_DP_EPSILON: '3', TRAINER_DP_NOISE_MULTIPLIER: '1' })).toThrow(
      /TRAINER_DP_NOISE_MULTIPLIER/,
    );
    expect(() => loadTrainerConfig({ TRAINER_DP_EPSILON: '0' })).toThrow(/TRAINER_DP_EPSILON/);
  });
});

describe('trainer config with MODEL_STORE=s3', () => {
  it('requires the bucket, endpoint and credentials', () => {
    expect(() => loadTrainerConfig({ MODEL_STORE: 's3', MODEL_STORE_S3_BUCKET: 'models' })).toThrow(
      /MODEL_STORE_S3_ENDPOINT[\s\S]*MODEL_STORE_S3_ACCESS_KEY_ID[\s\S]*MODEL_STORE_S3_SECRET_ACCESS_KEY/,
    );
  });
});

describe(exitCodeOf.name, () => {
  const outcome = {
    requestId: 'r',
    version: null,
    parentVersion: 'v1',
    reason: '',
    failure: null,
    metrics: {},
    trainRows: 0,
  };
  const timings = { readMs: 0, trainMs: 0, totalMs: 0 };

  it('fails only for bad input, including a re-run of a request that failed before', () => {
    expect(exitCodeOf({ ...outcome, timings, status: 'SHADOW' })).toBe(JobExit.DONE);
    expect(exitCodeOf({ ...outcome, timings, status: 'REJECTED' })).toBe(JobExit.DONE);
    expect(exitCodeOf({ ...outcome, timings, status: 'FAILED', failure: 'ONE_CLASS' })).toBe(JobExit.FAILED);
    expect(exitCodeOf({ ...outcome, timings, status: 'DUPLICATE', duplicateOf: 'SHADOW' })).toBe(
      JobExit.DONE,
    );
    expect(exitCodeOf({ ...outcome, timings, status: 'DUPLICATE', duplicateOf: 'FAILED' })).toBe(
      JobExit.FAILED,
    );
  });
});
