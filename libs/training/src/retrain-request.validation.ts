import type { RetrainRequest } from '@fraudstream/contracts';
import { ValidationError } from '@fraudstream/kafka';

/**
 * Contract checks of a retrain request beyond Avro: ids present, a non-empty event-time window.
 * A request that fails goes to the dead-letter topic rather than starting a job.
 */
export function validateRetrainRequest(value: unknown): RetrainRequest {
  if (!value || typeof value !== 'object') throw new ValidationError('retrain request is not a record');
  const o = value as Record<string, unknown>;
  for (const field of ['request_id', 'model_version'] as const)
    if (typeof o[field] !== 'string' || o[field].length === 0)
      throw new ValidationError(`${field} is missing`);
  for (const field of ['window_start', 'window_end', 'event_time'] as const)
    if (typeof o[field] !== 'number' || !Number.isFinite(o[field]))
      throw new ValidationError(`${field} is not a finite number`);
  if ((o.window_end as number) <= (o.window_start as number))
    throw new ValidationError('window_end must be after window_start');
  return value as RetrainRequest;
}
