import { randomUUID } from 'node:crypto';
import type { DeploymentEventKind, ModelDeployment, ModelStage } from '@fraudstream/contracts';

/** Builds one ml.model-deployments.v1 event with a fresh id. */
export function deploymentEvent(fields: {
  readonly kind?: DeploymentEventKind;
  readonly version: string;
  readonly stage: ModelStage;
  readonly previousVersion?: string | null;
  readonly parentVersion?: string | null;
  readonly artifactUri: string;
  readonly sha256: string;
  readonly requestId?: string | null;
  readonly reason: string;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly eventTime: number;
}): ModelDeployment {
  const metrics: Record<string, number> = {};
  // Avro doubles carry NaN, but consumers compare numbers: leave undefined values (e.g. AUC of one class) out.
  for (const [k, v] of Object.entries(fields.metrics ?? {})) if (Number.isFinite(v)) metrics[k] = v;
  return {
    deployment_id: randomUUID(),
    kind: fields.kind ?? 'STAGE_CHANGE',
    model_version: fields.version,
    stage: fields.stage,
    previous_version: fields.previousVersion ?? null,
    parent_version: fields.parentVersion ?? null,
    artifact_uri: fields.artifactUri,
    sha256: fields.sha256,
    request_id: fields.requestId ?? null,
    reason: fields.reason,
    metrics,
    instance_id: null,
    event_time: fields.eventTime,
  };
}
