import { describe, expect, it } from 'vitest';
import { SAMPLE_RECORDS } from '../../../tests/support/sample-records';
import { ValidationError } from './contract.errors';
import { CONTRACT_LIMITS } from './message.schemas';
import {
  MESSAGE_VALIDATORS,
  validateCaseRecord,
  validateDeployment,
  validateLabel,
  validateRetrainRequest,
  validateScore,
  validateTransaction,
} from './message.validators';
import { Topics } from './topics';

const good = SAMPLE_RECORDS['tx.transactions.v1'];
const long = 'x'.repeat(CONTRACT_LIMITS.idLength + 1);

describe('message validators', () => {
  it.each(Object.values(Topics))('%s: accepts its sample record unchanged', (topic) => {
    const sample = SAMPLE_RECORDS[topic];
    expect(MESSAGE_VALIDATORS[topic](sample)).toEqual(sample);
  });

  it.each([
    [{ amount: -1 }, /amount is negative/],
    [{ card_id: '' }, /card_id is empty/],
    [{ amount: Number.NaN }, /amount/],
    [{ event_time: Number.POSITIVE_INFINITY }, /event_time/],
    [{ channel: 'ATM' }, /channel/],
    [{ transaction_id: long }, /transaction_id is longer than 128 characters/],
    [{ terminal_id: 'x'.repeat(1_048_576) }, /terminal_id is longer than 128 characters/],
    [{ event_time: Date.UTC(1999, 11, 31) }, /event_time is before 2000-01-01/],
    [{ event_time: Date.UTC(3000, 0, 1) }, /event_time is after 2100-01-01/],
    [{ amount: 5e9 }, /amount is above/],
    [{ currency: 'euro' }, /currency is not an ISO 4217 code/],
  ])('refuses a transaction with %o', (patch, message) => {
    const bad = { ...good, ...patch };
    expect(() => validateTransaction(bad)).toThrow(ValidationError);
    expect(() => validateTransaction(bad)).toThrow(message);
  });

  it('keeps the dead-letter header short whatever the record carries', () => {
    let error: unknown;
    try {
      validateTransaction({ ...good, transaction_id: 'y'.repeat(2_000_000) });
    } catch (e) {
      error = e;
    }
    expect((error as Error).message.length).toBeLessThan(1100);
  });

  it('refuses a deployment event of an unknown stage, as every consumer of the topic does', () => {
    const event = SAMPLE_RECORDS['ml.model-deployments.v1'];
    expect(() => validateDeployment({ ...event, stage: 'STAGING' })).toThrow(/stage/);
    expect(() => validateDeployment({ ...event, kind: 'STAGE_CHANGE', artifact_uri: '' })).toThrow(
      /a stage change must name its artifact/,
    );
    expect(validateDeployment({ ...event, kind: 'JOB_FAILED', artifact_uri: '', sha256: '' }).kind).toBe(
      'JOB_FAILED',
    );
  });

  it('requires a label to name its terminal (the scorer keys terminal fraud rates by it)', () => {
    expect(() => validateLabel({ ...SAMPLE_RECORDS['fraud.labels.v1'], terminal_id: '' })).toThrow(
      /terminal_id is empty/,
    );
  });

  it('refuses a retrain request with an empty window', () => {
    const request = SAMPLE_RECORDS['ml.retrain-requests.v1'];
    expect(() => validateRetrainRequest({ ...request, window_end: request.window_start })).toThrow(
      /window_end must be after window_start/,
    );
  });

  it('accepts a label written before alert_id and analyst existed, and bounds them when present', () => {
    const { alert_id: _a, analyst: _b, ...older } = SAMPLE_RECORDS['fraud.labels.v1'];
    expect(validateLabel(older)).toEqual(older);
    const verdict = { ...older, source: 'ANALYST', alert_id: 'tx-1:v1', analyst: 'alice' };
    expect(validateLabel(verdict)).toEqual(verdict);
    expect(() => validateLabel({ ...verdict, analyst: long })).toThrow(/analyst is longer than 128/);
    expect(() => validateLabel({ ...verdict, alert_id: '' })).toThrow(/alert_id is empty/);
  });

  it('accepts a transaction and a score without segment attributes (older records, a bank that sends none) and bounds them when present', () => {
    const { age_band: _a, region: _r, ...older } = SAMPLE_RECORDS['tx.transactions.v1'];
    expect(validateTransaction(older)).toEqual(older);
    const tx = SAMPLE_RECORDS['tx.transactions.v1'];
    expect(validateTransaction({ ...tx, region: null })).toEqual({ ...tx, region: null });
    expect(() => validateTransaction({ ...tx, age_band: '' })).toThrow(/age_band is empty/);
    expect(() => validateTransaction({ ...tx, region: ' ' })).toThrow(/region is blank/);
    expect(() => validateTransaction({ ...tx, region: 'r'.repeat(65) })).toThrow(
      /region is longer than 64 characters/,
    );
    const score = SAMPLE_RECORDS['tx.scores.v1'];
    const { age_band: _sa, region: _sr, ...olderScore } = score;
    expect(validateScore(olderScore)).toEqual(olderScore);
    expect(() => validateScore({ ...score, age_band: 7 })).toThrow(ValidationError);
  });

  it('keeps a case record consistent: a claim names its analyst, a closed case its verdict, comments are bounded', () => {
    const closed = SAMPLE_RECORDS['fraud.cases.v1'];
    expect(() => validateCaseRecord({ ...closed, verdict: null })).toThrow(/CLOSED case names its verdict/);
    expect(() => validateCaseRecord({ ...closed, status: 'CLAIMED' })).toThrow(/CLAIMED case names/);
    expect(() =>
      validateCaseRecord({
        ...closed,
        history: [{ action: 'VERDICT', analyst: 'alice', at: closed.updated_at, comment: 'x'.repeat(2001) }],
      }),
    ).toThrow(/history.0.comment is longer than 2000 characters/);
    const claimed = {
      ...closed,
      status: 'CLAIMED',
      verdict: null,
      decided_by: null,
      decided_event_time: null,
      claimed_by: 'bob',
      claimed_until: closed.updated_at + 60_000,
    };
    expect(validateCaseRecord(claimed)).toEqual(claimed);
  });
});
