import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './config.errors';
import { appConfigFragment, boolVar, intVar } from './fragments';
import { loadConfig } from './load-config';

const schema = z.object({
  ...appConfigFragment.shape,
  BATCH_SIZE: intVar(256, 1, 65_536),
  SHADOW: boolVar(false),
});

describe(loadConfig.name, () => {
  it('applies defaults and coerces strings to typed values', () => {
    const config = loadConfig(schema, { BATCH_SIZE: '1024', SHADOW: 'yes' });
    expect(config.BATCH_SIZE).toBe(1024);
    expect(config.SHADOW).toBe(true);
    expect(config.HTTP_PORT).toBe(3000);
    expect(config.LOG_FORMAT).toBe('json');
  });

  it('reports every bad field at once, naming the variable and the value it got', () => {
    let error: unknown;
    try {
      loadConfig(schema, { BATCH_SIZE: '0', HTTP_PORT: 'eighty', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toHaveLength(3);
    expect(issues.find((i) => i.startsWith('BATCH_SIZE:'))).toContain('(got "0")');
    expect(issues.find((i) => i.startsWith('HTTP_PORT:'))).toContain('(got "eighty")');
    expect(issues.find((i) => i.startsWith('LOG_LEVEL:'))).toContain('(got "loud")');
    expect((error as Error).message).toContain('invalid configuration');
  });

  it('refuses a boolean it cannot read instead of guessing', () => {
    expect(() => loadConfig(schema, { SHADOW: 'maybe' })).toThrow(/SHADOW/);
  });
});
