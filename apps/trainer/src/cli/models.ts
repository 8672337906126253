import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { describeError } from '@fraudstream/contracts';
import {
  ModelRegistry,
  PRINCIPAL_PATTERN,
  createManifestVerifier,
  createModelStore,
  formatModelCard,
  modelCardView,
  registryOptionsOf,
  type PromotionRequest,
} from '@fraudstream/registry';
import {
  KafkaDeploymentHistory,
  KafkaDeploymentPublisher,
  ModelOperations,
  trainingSettingsFrom,
} from '@fraudstream/training';
import { loadTrainerConfig } from '../trainer.config';
import { connectKafka, useCliLogger } from './cli-support';

const USAGE = `npm run models -- <command> [options]
  list                           versions with stage, parent, compression, threshold and validation AP
  show <version>                 the model card (training window, data, gate, per-segment rates,
                                 compression, lineage, privacy, signer, approvals); with --json the
                                 manifest (without the reference samples), the card with its
                                 approvals and the version's audit trail
  promote <version> [--reason R] move to PRODUCTION (retires the current one) and tell the scorers;
                                 under REGISTRY_PROMOTION_APPROVALS=2 this requests the promotion
  approve <version> --as P       approve the open promotion request (P must not be its requester);
                                 the approval that completes it promotes and tells the scorers
  refuse <version> --as P        refuse the open promotion request (the version stays where it is)
  reject <version> [--reason R]  mark a candidate or shadow model REJECTED
  rollback [--reason R]          put the previous production model back
  reconcile                      publish the deployment events of registry transitions the topic lacks
options:
  --root DIR          registry root (default MODEL_STORE_ROOT, var/models)
  --event-time MS     event time of the decision (default: the newest in the audit log)
  --as NAME           the principal recorded as the actor cli:NAME (--who is the same; default cli;
                      approve and refuse need it)
  --json              machine-readable output`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      reason: { type: 'string' },
      root: { type: 'string' },
      'event-time': { type: 'string' },
      who: { type: 'string' },
      as: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, version] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 64;
  }
  const config = loadTrainerConfig();
  useCliLogger('models', config);
  const registry = new ModelRegistry(
    createModelStore(
      values.root ? { ...config, MODEL_STORE: 'file', MODEL_STORE_ROOT: values.root } : config,
    ),
    { signer: null, verifier: createManifestVerifier(config) },
    registryOptionsOf(config),
  );

  if (command === 'list') {
    const models = await registry.list();
    const awaiting = await registry.openPromotionRequests();
    const rows = models.map((m) => ({
      version: m.version,
      stage: m.stage,
      ...(registry.promotionApprovals > 1 ? { approval: approvalSummary(awaiting.get(m.version)) } : {}),
      parent: m.manifest.parent_version ?? '-',
      compression: m.manifest.compression
        ? `${m.manifest.compression.kind} (AP loss ${m.manifest.compression.ap_loss.toFixed(4)})`
        : '-',
      threshold: Number(m.manifest.threshold.toFixed(4)),
      ap: Number(m.manifest.metrics.validation.average_precision.toFixed(4)),
      auc: Number(m.manifest.metrics.validation.roc_auc.toFixed(4)),
      request: m.manifest.training.request_id ?? '-',
      created: m.manifest.created_at,
    }));
    if (values.json) console.log(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) console.log('no models registered');
    else console.table(rows);
    return 0;
  }
  if (command === 'show') {
    if (!version) throw new Error('usage: models show <version>');
    const manifest = await registry.readManifest(version);
    const { reference, ...rest } = manifest;
    const audit = (await registry.store.readAudit()).filter((e) => e.version === version);
    const card = modelCardView(manifest, audit);
    if (!values.json) {
      const stage = (await registry.stageOf(version)) ?? 'CANDIDATE';
      console.log(
        card
          ? `${formatModelCard(card)}\n\nstage ${stage}; artifact ${registry.artifactUri(version)}`
          : `${version} (${stage}) was registered before model cards existed: use --json for its manifest`,
      );
      return 0;
    }
    console.log(
      JSON.stringify(
        {
          stage: (await registry.stageOf(version)) ?? 'CANDIDATE',
          promotion_request: (await registry.openPromotionRequests()).get(version) ?? null,
          artifact_uri: registry.artifactUri(version),
          manifest: {
            ...rest,
            reference: {
              row_count: reference.row_count,
              fraud_rate: reference.fraud_rate,
              features: reference.features.length,
            },
          },
          model_card: card,
          audit,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (
    command !== 'promote' &&
    command !== 'approve' &&
    command !== 'refuse' &&
    command !== 'rollback' &&
    command !== 'reject' &&
    command !== 'reconcile'
  ) {
    console.error(`unknown command ${command}\n\n${USAGE}`);
    return 64;
  }
  if (values.as !== undefined && values.who !== undefined && values.as !== values.who) {
    console.error(`--as ${values.as} and --who ${values.who} name different principals`);
    return 64;
  }
  const principal = values.as ?? values.who;
  if ((command === 'approve' || command === 'refuse') && principal === undefined) {
    console.error(`${command} needs the approving principal: --as <name>`);
    return 64;
  }
  if (principal !== undefined && !PRINCIPAL_PATTERN.test(principal)) {
    console.error(`--as ${JSON.stringify(principal)} is not a principal name (${PRINCIPAL_PATTERN.source})`);
    return 64;
  }
  const request = {
    actor: `cli:${principal ?? 'cli'}`,
    ...(values.reason !== undefined ? { reason: values.reason } : {}),
    ...(values['event-time'] !== undefined ? { eventTime: Number(values['event-time']) } : {}),
  };
  const kafka = await connectKafka(config, 'models-cli');
  try {
    // The same path as the console's promote and rollback (audit entry with the actor, then the events).
    const operations = new ModelOperations(
      registry,
      new KafkaDeploymentPublisher(kafka.producer, config.DEPLOYMENTS_TOPIC),
      new KafkaDeploymentHistory(kafka.kafka, kafka.serde, config.DEPLOYMENTS_TOPIC),
      trainingSettingsFrom(config),
    );
    if (command === 'reconcile') {
      const sent = await operations.reconcile();
      console.log(
        values.json ? JSON.stringify({ republished: sent }) : `${sent} deployment events republished`,
      );
      return 0;
    }
    if (command !== 'rollback' && !version) throw new Error(`usage: models ${command} <version>`);
    const decision =
      command === 'rollback'
        ? await operations.rollback(request)
        : command === 'promote'
          ? await operations.promote(version ?? '', request)
          : command === 'approve'
            ? await operations.approve(version ?? '', request)
            : command === 'refuse'
              ? await operations.refuse(version ?? '', request)
              : await operations.reject(version ?? '', request);
    console.log(
      values.json
        ? JSON.stringify(decision, null, 2)
        : decision.approval
          ? `${decision.version} stays ${decision.stage}, promotion ${approvalSummary(decision.approval)}; no event sent`
          : decision.events.length === 0
            ? `${decision.version} stays ${decision.stage}: ${decision.reason}`
            : `${decision.version} → ${decision.stage}; events: ${decision.events.map((e) => `${e.model_version}:${e.stage}`).join(', ')}`,
    );
    if (!decision.published) {
      console.error(
        'the registry changed but its deployment events did not reach Kafka: the trainer reconciles at start and periodically, or run `npm run models -- reconcile`',
      );
      return 3;
    }
    return 0;
  } finally {
    await kafka.close();
  }
}

/** `awaiting 1 approval (requested by alice; approved by -)`, or `-` without an open request. */
function approvalSummary(request: PromotionRequest | undefined): string {
  if (!request) return '-';
  const approvers = request.approvals.map((a) => a.principal).join(', ') || '-';
  return `awaiting ${request.missing} approval(s) (requested by ${request.requestedBy}; approved by ${approvers})`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(describeError(error));
    process.exit(1);
  },
);
