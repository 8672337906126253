import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { DAY_MS } from '@fraudstream/contracts';
import { chargebackDelayMs, parseChargebackDelay } from './chargeback-delay.model';
import { parseCsvRecord } from './csv-line.parser';
import { DatasetEventSource } from './dataset.event-source';
import { importDataset } from './dataset.importer';
import type { RejectedRow } from './dataset.types';
import { RejectsWriter } from './rejects.writer';

const dir = mkdtempSync(join(tmpdir(), 'fraudstream-datasets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER =
  'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO';
/** Six rows: four good (one fraud of scenario 2), a negative amount, an impossible date; out of time order. */
const HANDBOOK_CSV = [
  HEADER,
  '0,2018-04-01 00:00:31,596,3156,57.16,31,0,0,0',
  '1,2018-04-01 00:02:10,4961,3412,81.51,130,0,1,2',
  '2,2018-04-01 00:07:56,2,1365,-3.00,476,0,0,0',
  '3,2018-02-31 00:09:29,4128,8737,64.49,569,0,0,0',
  '4,2018-04-02 10:00:00,927,9906,50.99,122400,1,0,0',
  '5,2018-04-01 23:59:59,927,9906,12.00,86399,0,0,0',
  '',
].join('\n');

function write(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function importHandbook(path: string, rejects: RejectedRow[] = []) {
  return importDataset({
    transactions: path,
    format: 'handbook',
    chargebackDelay: { kind: 'fixed', days: 7 },
    onReject: (r) => rejects.push(r),
  });
}

describe('parseCsvRecord', () => {
  it('splits fields, unquotes quoted ones and says when a quoted field spans lines', () => {
    expect(parseCsvRecord('a,b,,c')).toEqual(['a', 'b', '', 'c']);
    expect(parseCsvRecord('"x, y","say ""hi""",z')).toEqual(['x, y', 'say "hi"', 'z']);
    expect(parseCsvRecord('1,"open')).toBeNull();
    expect(parseCsvRecord('1,"open\nclosed",2')).toEqual(['1', 'open\nclosed', '2']);
  });
});

describe(importDataset.name, () => {
  it('maps the handbook columns, rejects bad rows with their line and reason, and sorts by event time', async () => {
    const rejects: RejectedRow[] = [];
    const data = await importHandbook(write('hb.csv', HANDBOOK_CSV), rejects);
    expect(rejects.map((r) => [r.line, r.reason])).toEqual([
      [4, 'invalid transaction: amount is negative'],
      [5, 'TX_DATETIME is not a time: "2018-02-31 00:09:29"'],
    ]);
    expect(data.transactions.map((t) => t.transaction_id)).toEqual(['0', '1', '5', '4']);
    expect(data.transactions[1]).toEqual({
      transaction_id: '1',
      card_id: '4961',
      terminal_id: '3412',
      amount: 81.51,
      currency: 'EUR',
      channel: 'CARD_PRESENT',
      event_time: Date.UTC(2018, 3, 1, 0, 2, 10),
      ingest_time: Date.UTC(2018, 3, 1, 0, 2, 10),
    });
    expect(Array.from(data.isFraud)).toEqual([0, 1, 0, 0]);
    expect(data.scenarios).toEqual(['none', 'compromised-terminal', 'none', 'none']);
    // The flag becomes a chargeback 7 days later (fixed delay).
    expect(data.labels).toEqual([
      {
        transaction_id: '1',
        card_id: '4961',
        terminal_id: '3412',
        is_fraud: true,
        source: 'CHARGEBACK',
        transaction_time: Date.UTC(2018, 3, 1, 0, 2, 10),
        event_time: Date.UTC(2018, 3, 8, 0, 2, 10),
      },
    ]);
    expect(data.stats).toMatchObject({
      rowsRead: 6,
      transactions: 4,
      rejectedTransactions: 2,
      labelsFromFlags: 1,
      frauds: 1,
      firstEventTime: Date.UTC(2018, 3, 1, 0, 0, 31),
      lastEventTime: Date.UTC(2018, 3, 2, 10),
    });
  });

  it('reads gzip-compressed CSV and Parquet to the same records as plain CSV', async () => {
    const plain = await importHandbook(write('same.csv', HANDBOOK_CSV));
    const gz = await importHandbook(write('same.csv.gz', gzipSync(HANDBOOK_CSV)));
    const rows = HANDBOOK_CSV.trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const col = (i: number) => rows.map((r) => r[i] ?? '');
    const parquet = parquetWriteBuffer({
      columnData: [
        { name: 'TRANSACTION_ID', data: col(0).map((v) => BigInt(v)), type: 'INT64' },
        { name: 'TX_DATETIME', data: col(1), type: 'STRING' },
        { name: 'CUSTOMER_ID', data: col(2).map(Number), type: 'INT32' },
        { name: 'TERMINAL_ID', data: col(3).map(Number), type: 'INT32' },
        { name: 'TX_AMOUNT', data: col(4).map(Number), type: 'DOUBLE' },
        { name: 'TX_FRAUD', data: col(7).map(Number), type: 'INT32' },
        { name: 'TX_FRAUD_SCENARIO', data: col(8).map(Number), type: 'INT32' },
      ],
    });
    const pq = await importHandbook(write('same.parquet', new Uint8Array(parquet)));
    for (const other of [gz, pq]) {
      expect(other.transactions).toEqual(plain.transactions);
      expect(other.labels).toEqual(plain.labels);
      expect(other.isFraud).toEqual(plain.isFraud);
    }
  });

  it('reads the fraudstream format with a labels file whose rows carry their own times', async () => {
    const tx = write(
      'tx.ndjson',
      [
        JSON.stringify({
          transaction_id: 't1',
          card_id: 'c1',
          terminal_id: 'm1',
          amount: 10,
          event_time: '2026-01-05T10:00:00Z',
          channel: 'CARD_NOT_PRESENT',
        }),
        'not json',
        JSON.stringify({
          transaction_id: 't2',
          card_id: 'c2',
          terminal_id: 'm1',
          amount: 20,
          event_time: Date.UTC(2026, 0, 5, 11),
          currency: 'usd',
        }),
        JSON.stringify({
          transaction_id: 't3',
          card_id: 'c2',
          terminal_id: 'm2',
          amount: 30,
          event_time: Date.UTC(2026, 0, 6, 9),
        }),
      ].join('\n'),
    );
    const labels = write(
      'labels.csv',
      [
        'transaction_id,is_fraud,event_time,source',
        `t1,1,${Date.UTC(2026, 0, 7)},CHARGEBACK`,
        `t3,0,2026-01-06T12:00:00Z,ANALYST`,
        'nope,1,,CHARGEBACK',
        `t3,1,${Date.UTC(2026, 0, 6, 8)},ANALYST`,
      ].join('\n'),
    );
    const rejects: RejectedRow[] = [];
    const data = await importDataset({
      transactions: tx,
      labels,
      format: 'fraudstream',
      chargebackDelay: { kind: 'fixed', days: 7 },
      onReject: (r) => rejects.push(r),
    });
    expect(rejects.map((r) => [r.file, r.line, r.reason.slice(0, 30)])).toEqual([
      ['transactions', 2, 'the row is not JSON (Unexpecte'],
      ['transactions', 3, 'invalid transaction: currency '],
      ['labels', 4, 'transaction nope is not in the'],
      ['labels', 5, 'invalid label: event_time a la'],
    ]);
    expect(data.transactions.map((t) => [t.transaction_id, t.channel, t.currency])).toEqual([
      ['t1', 'CARD_NOT_PRESENT', 'EUR'],
      ['t3', 'CARD_PRESENT', 'EUR'],
    ]);
    expect(data.labels.map((l) => [l.transaction_id, l.is_fraud, l.source, l.card_id])).toEqual([
      ['t3', false, 'ANALYST', 'c2'],
      ['t1', true, 'CHARGEBACK', 'c1'],
    ]);
    expect(Array.from(data.isFraud)).toEqual([1, 0]);
    expect(data.scenarios).toEqual(['unknown', 'none']);
  });

  it('stops with the missing columns named when the file is not of the format', async () => {
    await expect(importHandbook(write('wrong.csv', 'a,b\n1,2\n'))).rejects.toThrow(
      /needs the columns TRANSACTION_ID, TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT/,
    );
  });
});

describe('chargeback delay model', () => {
  it('parses fixed and uniform delays and draws uniform delays within bounds, the same every time', () => {
    expect(parseChargebackDelay('fixed:7')).toEqual({ kind: 'fixed', days: 7 });
    const model = parseChargebackDelay('uniform:1-7');
    const delays = Array.from({ length: 2000 }, (_, i) => chargebackDelayMs(model, `tx-${i}`));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(DAY_MS);
    expect(Math.max(...delays)).toBeLessThan(7 * DAY_MS);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length / DAY_MS;
    // Uniform on [1, 7): mean 4, standard error sqrt(3)/sqrt(2000) = 0.039.
    expect(Math.abs(mean - 4)).toBeLessThan(0.15);
    expect(chargebackDelayMs(model, 'tx-5')).toBe(delays[5]);
    expect(() => parseChargebackDelay('uniform:7-1')).toThrow(/upper bound/);
    expect(() => parseChargebackDelay('7')).toThrow(/fixed:<days> or uniform:<min>-<max>/);
  });
});

describe(DatasetEventSource.name, () => {
  it('streams a window of days with the labels of its transactions at their event time', async () => {
    const data = await importDataset({
      transactions: write('days.csv', HANDBOOK_CSV),
      format: 'handbook',
      chargebackDelay: { kind: 'fixed', days: 0.5 },
    });
    const all = new DatasetEventSource(data);
    expect(all.days).toBe(2);
    const day0 = all.nextDay();
    expect(
      day0.map((e) =>
        e.kind === 'label' ? `label ${e.label.transaction_id}` : e.transaction.transaction_id,
      ),
    ).toEqual(['0', '1', 'label 1', '5']);
    expect(all.nextDay().map((e) => e.kind)).toEqual(['transaction']);
    expect(all.hasNextDay).toBe(false);
    const second = new DatasetEventSource(data, { fromDay: 1 });
    expect(second.days).toBe(1);
    expect(second.dayStart(0)).toBe(Date.UTC(2018, 3, 2));
    expect(second.nextDay().map((e) => (e.kind === 'transaction' ? e.truth.is_fraud : null))).toEqual([
      false,
    ]);
  });
});

describe(RejectsWriter.name, () => {
  it('writes one JSON line per rejected row with its file, line and reason', () => {
    const path = join(dir, 'out', 'rejects.ndjson');
    const writer = new RejectsWriter(path);
    writer.add({ file: 'transactions', line: 4, reason: 'bad', row: { A: '1', B: 2n } });
    writer.close();
    expect(JSON.parse(readFileSync(path, 'utf8').trim())).toEqual({
      file: 'transactions',
      line: 4,
      reason: 'bad',
      row: { A: '1', B: '2' },
    });
  });
});
