import type { Label, ModelDeployment, Score } from '@fraudstream/contracts';
import { ValidationError } from '@fraudstream/kafka';

/*
 * Contract checks beyond what Avro guarantees, at the drift monitor's boundary: a record that fails
 * goes to the dead-letter topic instead of skewing a window.
 */

function object(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object') throw new ValidationError(`${what} is not a record`);
  return value as Record<string, unknown>;
}

function finite(o: Record<string, unknown>, field: string): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ValidationError(`${field} is not a finite number`);
  return v;
}

function text(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0) throw new ValidationError(`${field} is missing`);
  return v;
}

export function validateScore(value: unknown): Score {
  const o = object(value, 'score');
  text(o, 'transaction_id');
  text(o, 'card_id');
  text(o, 'model_version');
  finite(o, 'event_time');
  const score = finite(o, 'score');
  if (score < 0 || score > 1) throw new ValidationError(`score ${score} is outside [0, 1]`);
  if (o.role !== 'CHAMPION' && o.role !== 'CHALLENGER') throw new ValidationError('role is unknown');
  const features = o.features;
  if (!Array.isArray(features) || !features.every((f) => typeof f === 'number' && Number.isFinite(f))) {
    throw new ValidationError('features must be finite numbers');
  }
  return value as Score;
}

export function validateLabel(value: unknown): Label {
  const o = object(value, 'label');
  text(o, 'transaction_id');
  text(o, 'card_id');
  finite(o, 'transaction_time');
  finite(o, 'event_time');
  if (typeof o.is_fraud !== 'boolean') throw new ValidationError('is_fraud is not a boolean');
  return value as Label;
}

export function validateDeployment(value: unknown): ModelDeployment {
  const o = object(value, 'deployment');
  text(o, 'model_version');
  text(o, 'kind');
  text(o, 'stage');
  finite(o, 'event_time');
  if (typeof o.artifact_uri !== 'string') throw new ValidationError('artifact_uri is missing');
  return value as ModelDeployment;
}
