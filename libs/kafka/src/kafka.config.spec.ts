import { ConfigError, loadConfig } from '@fraudstream/config';
import { describe, expect, it } from 'vitest';
import { kafkaConfigSchema } from './kafka.config';

describe('kafkaConfigSchema', () => {
  it('splits a broker list and defaults to the local infrastructure', () => {
    expect(loadConfig(kafkaConfigSchema, {}).KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    const config = loadConfig(kafkaConfigSchema, { KAFKA_BROKERS: 'k1:9092, k2:9093' });
    expect(config.KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9093']);
    expect(config.SCHEMA_REGISTRY_URL).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
  });

  it('fails start-up on a broker without a port, naming the field', () => {
    expect(() => loadConfig(kafkaConfigSchema, { KAFKA_BROKERS: 'kafka-without-port' })).toThrow(
      /KAFKA_BROKERS: expected a comma-separated list of host:port/,
    );
  });

  it('fails on a registry URL that is not a URL', () => {
    expect(() => loadConfig(kafkaConfigSchema, { SCHEMA_REGISTRY_URL: 'registry' })).toThrow(
      /SCHEMA_REGISTRY_URL/,
    );
  });

  it('requires both SASL credentials once a mechanism is set, naming each missing one', () => {
    try {
      loadConfig(kafkaConfigSchema, { KAFKA_SASL_MECHANISM: 'scram-sha-512' });
      expect.unreachable('config without SASL credentials was accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const issues = (error as ConfigError).issues;
      expect(issues.some((i) => i.startsWith('KAFKA_SASL_USERNAME:'))).toBe(true);
      expect(issues.some((i) => i.startsWith('KAFKA_SASL_PASSWORD:'))).toBe(true);
    }
  });
});
