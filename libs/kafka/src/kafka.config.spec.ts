import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@fraudstream/config';
import { afterAll, describe, expect, it } from 'vitest';
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

  describe('KAFKA_SSL_CA_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-config-'));
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUfake\n-----END CERTIFICATE-----\n';
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, pem);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('is read once at boot: the config carries the certificates, not only the path', () => {
      const config = loadConfig(kafkaConfigSchema, { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: caFile });
      expect(config.KAFKA_SSL_CA_FILE).toEqual({ path: caFile, pem });
      expect(loadConfig(kafkaConfigSchema, {}).KAFKA_SSL_CA_FILE).toBeUndefined();
    });

    it('fails start-up on a file that is missing or holds no certificate, naming the field', () => {
      expect(() =>
        loadConfig(kafkaConfigSchema, { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }),
      ).toThrow(/KAFKA_SSL_CA_FILE: cannot read .*missing\.pem/);
      const notPem = join(dir, 'key.txt');
      writeFileSync(notPem, 'not a certificate');
      expect(() => loadConfig(kafkaConfigSchema, { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: notPem })).toThrow(
        /KAFKA_SSL_CA_FILE: .*key\.txt holds no PEM certificate/,
      );
    });

    it('is refused without KAFKA_SSL=true, where it would go unused', () => {
      expect(() => loadConfig(kafkaConfigSchema, { KAFKA_SSL_CA_FILE: caFile })).toThrow(
        /KAFKA_SSL_CA_FILE: set only with KAFKA_SSL=true/,
      );
    });
  });
});
