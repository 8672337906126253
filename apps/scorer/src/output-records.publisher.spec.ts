import type { AvroProducer } from '@fraudstream/kafka';
import { describe, expect, it } from 'vitest';
import { OutputRecordsPublisher, PRODUCE_SLICE } from './output-records.publisher';

type Sent = { topic: string; records: readonly unknown[] }[];

function fakeProducer(fail = false): { producer: AvroProducer; requests: Sent[] } {
  const requests: Sent[] = [];
  const producer = {
    sendMany: (batches: Sent) => {
      requests.push(batches.map((b) => ({ topic: b.topic, records: [...b.records] })));
      return fail ? Promise.reject(new Error('broker down')) : Promise.resolve();
    },
  } as unknown as AvroProducer;
  return { producer, requests };
}

const records = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ key: null, value: `${tag}${i}` }));

describe(OutputRecordsPublisher.name, () => {
  it('sends the outputs of concurrent callers in one request', async () => {
    const { producer, requests } = fakeProducer();
    const publisher = new OutputRecordsPublisher(producer);
    await Promise.all([
      publisher.publish([{ topic: 'scores', records: records(2, 'a') }]),
      publisher.publish([
        { topic: 'scores', records: records(1, 'b') },
        { topic: 'alerts', records: records(1, 'c') },
      ]),
    ]);
    expect(requests).toEqual([
      [
        { topic: 'scores', records: [...records(2, 'a'), ...records(1, 'b')] },
        { topic: 'alerts', records: records(1, 'c') },
      ],
    ]);
  });

  it('slices large outputs into several requests', async () => {
    const { producer, requests } = fakeProducer();
    await new OutputRecordsPublisher(producer).publish([
      { topic: 'scores', records: records(PRODUCE_SLICE + 1, 'x') },
    ]);
    expect(requests.map((r) => r[0]?.records.length)).toEqual([PRODUCE_SLICE, 1]);
  });

  it('fails every caller whose records were in a failed request', async () => {
    const { producer } = fakeProducer(true);
    const publisher = new OutputRecordsPublisher(producer);
    const results = await Promise.allSettled([
      publisher.publish([{ topic: 'scores', records: records(1, 'a') }]),
      publisher.publish([{ topic: 'scores', records: records(1, 'b') }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
