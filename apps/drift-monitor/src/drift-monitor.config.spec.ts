import { describe, expect, it } from 'vitest';
import { ConfigError } from '@fraudstream/config';
import { driftSettingsFromConfig } from '@fraudstream/drift';
import { DAY_MS } from '@fraudstream/contracts';
import { loadDriftMonitorConfig } from './drift-monitor.config';

describe(loadDriftMonitorConfig.name, () => {
  it('defaults to daily windows, a 7-day chargeback window and the real topics', () => {
    const config = loadDriftMonitorConfig({});
    const settings = driftSettingsFromConfig(config);
    expect(settings.windowMs).toBe(DAY_MS);
    expect(settings.chargebackWindowMs).toBe(7 * DAY_MS);
    expect(settings.seasonalFeatures).toEqual(['is_weekend']);
    expect(settings.retrainOnCovariateShift).toBe(false);
    expect(config.SCORES_TOPIC).toBe('tx.scores.v1');
    expect(config.DRIFT_CHECKPOINT_PATH).toBe('var/drift-monitor/checkpoint.json');
  });

  it('parses lists and switches, and lists every bad field', () => {
    const settings = driftSettingsFromConfig(
      loadDriftMonitorConfig({
        DRIFT_SEASONAL_FEATURES: 'is_weekend, is_night',
        DRIFT_RETRAIN_ON_COVARIATE_SHIFT: 'yes',
      }),
    );
    expect(settings.seasonalFeatures).toEqual(['is_weekend', 'is_night']);
    expect(settings.retrainOnCovariateShift).toBe(true);
    let error: unknown;
    try {
      loadDriftMonitorConfig({ DRIFT_WINDOW_MS: '10', DRIFT_FDR: '2' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.split(':')[0])).toEqual([
      'DRIFT_WINDOW_MS',
      'DRIFT_FDR',
    ]);
  });
});
