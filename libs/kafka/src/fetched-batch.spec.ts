import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './kafkajs';
import { kafkajsBatchModules, numberOffsetBatch, type KafkajsBatchClass } from './fetched-batch';

const nodeRequire = createRequire(__filename);

/** kafkajs's own Batch: its constructor (the installed module keeps its prototype, not its constructor). */
const Own = (nodeRequire('kafkajs/src/consumer/batch') as { prototype: { constructor: KafkajsBatchClass } })
  .prototype.constructor;

interface Record {
  offset: string;
  isControlRecord: boolean;
  value: string;
  batchContext: { producerId: string; inTransaction: boolean };
}

function records(from: bigint, count: number, producerId = '7', control: readonly number[] = []): Record[] {
  return Array.from({ length: count }, (_, i) => ({
    offset: (from + BigInt(i)).toString(),
    isControlRecord: control.includes(i),
    value: `v${i}`,
    batchContext: { producerId, inTransaction: true },
  }));
}

describe(numberOffsetBatch.name, () => {
  const { Long, filterAbortedMessages } = kafkajsBatchModules();
  const Replacement = numberOffsetBatch(Own, Long, filterAbortedMessages);

  const cases: [
    string,
    string,
    { partition: number; highWatermark: string; messages: Record[]; abortedTransactions?: unknown[] },
  ][] = [
    [
      'a fetch from its first record',
      '100',
      { partition: 1, highWatermark: '600', messages: records(100n, 500) },
    ],
    [
      'a fetch that returns records before the fetched offset (a compressed batch)',
      '120',
      { partition: 0, highWatermark: '200', messages: records(100n, 50) },
    ],
    [
      'offsets past 2^53',
      '9007199254740993',
      { partition: 2, highWatermark: '9007199254741100', messages: records(9_007_199_254_740_990n, 10) },
    ],
    [
      'a fetched offset given as a number',
      '5',
      { partition: 0, highWatermark: '40', messages: records(0n, 30, '7', [12]) },
    ],
    [
      'control records and an aborted transaction',
      '0',
      {
        partition: 0,
        highWatermark: '40',
        messages: [...records(0n, 10, '7', [9]), ...records(10n, 10, '8', [9])],
        abortedTransactions: [{ producerId: '8', firstOffset: '10' }],
      },
    ],
    ['an empty fetch', '3', { partition: 0, highWatermark: '3', messages: [] }],
  ];
  it.each(cases)("keeps the records kafkajs's Batch keeps for %s", (name, fetched, data) => {
    const fetchedOffset = name.includes('as a number') ? (Number(fetched) as unknown as string) : fetched;
    const own = new Own('t', fetchedOffset, data);
    const replacement = new Replacement('t', fetchedOffset, data);
    expect(replacement).toEqual(own);
    const methods = ['isEmpty', 'firstOffset', 'lastOffset', 'offsetLag', 'offsetLagLow'] as const;
    for (const method of methods) {
      const call = (batch: object): unknown => (batch as { [K in typeof method]: () => unknown })[method]();
      expect(call(replacement), method).toEqual(call(own));
    }
    expect(replacement).toBeInstanceOf(Own);
  });

  it("is the Batch kafkajs's consumer uses once the transport's kafkajs module loaded", () => {
    const loaded = nodeRequire('kafkajs/src/consumer/batch') as object;
    expect(Object.getOwnPropertySymbols(loaded)).toContain(Symbol.for('fraudstream.kafka.numberOffsetBatch'));
  });
});
