import type { Label, ModelDeployment } from '@fraudstream/contracts';
import { ValidationError } from '@fraudstream/kafka';

const KINDS = new Set(['STAGE_CHANGE', 'LOAD_REFUSED', 'JOB_FAILED']);
const STAGES = new Set(['CANDIDATE', 'SHADOW', 'PRODUCTION', 'RETIRED', 'REJECTED']);

/** A deployment event the model manager can act on: known kind and stage, a version, an artifact URI. */
export function validateDeployment(value: unknown): ModelDeployment {
  if (!value || typeof value !== 'object') throw new ValidationError('deployment is not a record');
  const event = value as Record<string, unknown>;
  if (!KINDS.has(String(event.kind)))
    throw new ValidationError(`unknown deployment kind ${String(event.kind)}`);
  if (!STAGES.has(String(event.stage))) throw new ValidationError(`unknown stage ${String(event.stage)}`);
  if (typeof event.model_version !== 'string' || event.model_version.length === 0)
    throw new ValidationError('missing model_version');
  if (
    event.kind === 'STAGE_CHANGE' &&
    (typeof event.artifact_uri !== 'string' || event.artifact_uri.length === 0)
  )
    throw new ValidationError('missing artifact_uri');
  return value as ModelDeployment;
}

/** A label the feature pipeline can use: ids present and finite event times. */
export function validateLabel(value: unknown): Label {
  if (!value || typeof value !== 'object') throw new ValidationError('label is not a record');
  const label = value as Record<string, unknown>;
  for (const field of ['transaction_id', 'card_id', 'terminal_id'] as const) {
    const v = label[field];
    if (typeof v !== 'string' || v.length === 0) throw new ValidationError(`missing ${field}`);
  }
  for (const field of ['transaction_time', 'event_time'] as const) {
    const v = label[field];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ValidationError(`${field} is not a finite number`);
  }
  if (typeof label.is_fraud !== 'boolean') throw new ValidationError('is_fraud is not a boolean');
  return value as Label;
}
