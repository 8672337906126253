import { describe, expect, it } from 'vitest';
import { logLevel } from './kafkajs';
import { kafkajsLogLevel } from './kafkajs-log';
import { loadKafkajsModule } from './kafkajs-module';

const { errorCodes } = loadKafkajsModule<{ errorCodes: { type: string; message: string }[] }>(
  'kafkajs/src/protocol/error',
);
const messageOf = (type: string) => errorCodes.find((e) => e.type === type)?.message ?? '';

const entry = (level: number, message: string, error?: string) => ({
  level,
  log: { message, error, timestamp: '', logger: 'kafkajs', namespace: 'Connection' },
});

describe('kafkajsLogLevel', () => {
  it('writes the broker answer kafkajs retries after a commit (CONCURRENT_TRANSACTIONS) at debug, not error', () => {
    const concurrent = messageOf('CONCURRENT_TRANSACTIONS');
    expect(concurrent).toMatch(/concurrent operation/);
    expect(
      kafkajsLogLevel(entry(logLevel.ERROR, 'Response AddOffsetsToTxn(key: 25, version: 1)', concurrent)),
    ).toBe('debug');
  });

  it('keeps every other error at error: other protocol errors, and the same text outside a response', () => {
    const fenced = messageOf('INVALID_PRODUCER_EPOCH');
    expect(fenced.length).toBeGreaterThan(0);
    expect(kafkajsLogLevel(entry(logLevel.ERROR, 'Response EndTxn(key: 26, version: 1)', fenced))).toBe(
      'error',
    );
    expect(
      kafkajsLogLevel(entry(logLevel.ERROR, 'Connection error', messageOf('CONCURRENT_TRANSACTIONS'))),
    ).toBe('error');
    expect(kafkajsLogLevel(entry(logLevel.ERROR, 'Response Produce(key: 0, version: 7)'))).toBe('error');
    expect(kafkajsLogLevel(entry(logLevel.ERROR, `Failed to send messages: ${fenced}`))).toBe('error');
  });

  it('keeps warnings and writes the rest at debug', () => {
    expect(kafkajsLogLevel(entry(logLevel.WARN, 'Restarting the consumer'))).toBe('warn');
    expect(kafkajsLogLevel(entry(logLevel.INFO, 'Consumer has joined the group'))).toBe('debug');
  });
});
