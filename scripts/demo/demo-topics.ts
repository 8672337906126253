import { HOUR_MS, TOPIC_SPECS, Topics, type TopicKey, type TopicSpec } from '@fraudstream/contracts';

/** The loop's topics of one run: `demo.<run>.<canonical name>`, dead-letter topics included. */
export type RunTopics = Readonly<Record<TopicKey, string>>;

export function runTopicPrefix(runId: string): string {
  return `demo.${runId}.`;
}

export function runTopics(runId: string): RunTopics {
  const prefix = runTopicPrefix(runId);
  return Object.fromEntries(
    (Object.keys(Topics) as TopicKey[]).map((key) => [key, `${prefix}${Topics[key]}`]),
  ) as RunTopics;
}

/**
 * The run's topic specs: the loop's specs (partitions, cleanup policy, schema) under the run's
 * prefix, with a one-day retention, so topics a run leaves behind (--keep-topics, a crash) empty
 * themselves out.
 */
export function runTopicSpecs(runId: string): TopicSpec[] {
  const prefix = runTopicPrefix(runId);
  return TOPIC_SPECS.map((spec) => ({
    ...spec,
    name: `${prefix}${spec.name}`,
    retentionMs: spec.retentionMs < 0 ? spec.retentionMs : Math.min(spec.retentionMs, 24 * HOUR_MS),
  }));
}
