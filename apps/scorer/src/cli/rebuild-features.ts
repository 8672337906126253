import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import {
  FeaturePipeline,
  RedisFeatureStore,
  configuredFeatureSet,
  createFeatureStore,
} from '@fraudstream/features';
import { AvroSerde, createKafkaClient } from '@fraudstream/kafka';
import { createAppLogger } from '@fraudstream/observability';
import {
  FeatureRebuildRefusedError,
  FeatureStateRebuild,
  type FeatureRebuildReport,
} from '../feature-state.rebuild';
import { saveFeatureSnapshot } from '../feature-state.lifecycle';
import { loadScorerConfig } from '../scorer.config';

const USAGE = `npm run features:rebuild -- [--json]
  Rebuilds the scorers' feature state (card and terminal windows, queued labels, the record of
  counted transactions and offsets) from the topics, after the state was lost: the transactions the
  scorer group committed on TRANSACTIONS_TOPIC (dead-lettered ones skipped) and the labels its
  labels group committed, replayed in event time through the scorers' own feature pipeline.
  Stop the scorers first (their consumer groups must have no member); the command refuses otherwise.
  The scorers' environment tells it where: FEATURE_STORE=redis (REDIS_URL, FEATURE_STORE_KEY_PREFIX,
  FEATURE_SET), whose keys under the prefix it replaces; or the in-memory store, whose state it
  writes to SCORER_FEATURE_SNAPSHOT_PATH for the scorers to restore at start.
  --json   the report as JSON on stdout
Exit status: 0 rebuilt, 2 refused (scorers running, nothing committed, no snapshot path), 1 failed.`;

function print(report: FeatureRebuildReport, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const day = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());
  console.log(
    `replayed ${report.transactions} transactions (${day(report.firstEventTime)} .. ${day(report.lastEventTime)}) and ${report.labels} labels in ${report.seconds.toFixed(1)} s`,
  );
  console.log('partition  committed  first retained  counted  dead-lettered  invalid  duplicates');
  for (const p of report.partitions)
    console.log(
      [
        p.partition,
        p.committedOffset,
        p.firstRetainedOffset,
        p.counted,
        p.deadLettered,
        p.invalid,
        p.duplicates,
      ]
        .map(String)
        .join('  '),
    );
  if (!report.windowsComplete)
    console.log(
      'retention had deleted transactions the longest windows still reach: those windows refill as the stream moves',
    );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadScorerConfig();
  Logger.overrideLogger(createAppLogger('feature-rebuild', config, { stream: 'stderr' }));
  const snapshotPath = config.SCORER_FEATURE_SNAPSHOT_PATH;
  if (config.FEATURE_STORE !== 'redis' && !snapshotPath) {
    console.error(
      'the in-memory feature state lives in the scorer process: set SCORER_FEATURE_SNAPSHOT_PATH to the snapshot the scorers restore from',
    );
    return 2;
  }
  const kafka = createKafkaClient(config, 'feature-rebuild');
  const serde = AvroSerde.connect(config.SCHEMA_REGISTRY_URL);
  const rebuild = new FeatureStateRebuild(kafka, serde, {
    transactionsTopic: config.TRANSACTIONS_TOPIC,
    labelsTopic: config.LABELS_TOPIC,
    groupId: config.SCORER_GROUP_ID,
    labelsGroupId: config.SCORER_LABELS_GROUP_ID,
  });
  const store = createFeatureStore(config);
  try {
    // Before anything is deleted: a running scorer would keep counting into the state being replaced.
    await rebuild.assertScorersStopped();
    if (store instanceof RedisFeatureStore) await store.clear();
    const pipeline = new FeaturePipeline(store, configuredFeatureSet(config));
    const report = await rebuild.run(pipeline);
    if (store.kind === 'memory' && snapshotPath) await saveFeatureSnapshot(pipeline, snapshotPath);
    print(report, values.json ?? false);
    return 0;
  } catch (error) {
    if (error instanceof FeatureRebuildRefusedError) {
      console.error(`refused: ${error.message}`);
      return 2;
    }
    throw error;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
