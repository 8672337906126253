/** What one chaos scenario measured. Counts are of distinct transaction ids unless said otherwise. */
export interface ScenarioResult {
  readonly scenario: string;
  /** What was done to the loop. */
  readonly fault: string;
  /** Good transactions acknowledged by the broker. */
  readonly produced: number;
  /** Of them, with at least one CHAMPION score record. */
  readonly scoredDistinct: number;
  /** Produced good transactions without a score at the end. */
  readonly lost: number;
  /**
   * Score records beyond the first per (transaction id, model version, role), as a read_committed
   * reader sees them (every reader of the scorer's outputs): 0 when the scorers run exactly-once.
   */
  readonly duplicates: number;
  /** The same for a read_uncommitted reader: what aborted transactions (a SIGKILLed scorer's) left on the topic. */
  readonly duplicatesReadUncommitted: number;
  /** Dead letters of the transactions topic, by reason header. */
  readonly deadLetters: Readonly<Record<string, number>>;
  /** Poison records injected on purpose (they must be the dead letters, nothing else). */
  readonly poisonInjected: number;
  /** Seconds from the fault (or the end of an outage) until every partition scored new transactions; null when not measured. */
  readonly recoverySeconds: number | null;
  /** The model version the scorers should serve, and what they served at the end. */
  readonly servingModel: {
    readonly expected: string;
    readonly actual: readonly string[];
    readonly right: boolean;
  };
  /** Whether the scenario met its guarantees (see docs/reliability.md). */
  readonly passed: boolean;
  readonly notes: readonly string[];
  readonly seconds: number;
}

/** A result with nothing counted, for a scenario that measured no stream of its own or failed. */
export function emptyResult(
  fields: Partial<ScenarioResult> & Pick<ScenarioResult, 'scenario' | 'fault' | 'passed' | 'notes'>,
): ScenarioResult {
  return {
    produced: 0,
    scoredDistinct: 0,
    lost: 0,
    duplicates: 0,
    duplicatesReadUncommitted: 0,
    deadLetters: {},
    poisonInjected: 0,
    recoverySeconds: null,
    servingModel: { expected: '-', actual: [], right: false },
    seconds: 0,
    ...fields,
  };
}

export interface ChaosReport {
  readonly startedAt: string;
  readonly mode: 'quick' | 'full';
  readonly options: Readonly<Record<string, unknown>>;
  readonly scenarios: readonly ScenarioResult[];
  readonly passed: boolean;
}

/** One line per scenario, for the terminal. */
export function formatReport(report: ChaosReport): string {
  const header = [
    'scenario',
    'produced',
    'scored',
    'lost',
    'dups',
    'dups (uncommitted)',
    'dlq',
    'recovery s',
    'model',
    'ok',
  ];
  const rows = report.scenarios.map((s) => [
    s.scenario,
    String(s.produced),
    String(s.scoredDistinct),
    String(s.lost),
    String(s.duplicates),
    String(s.duplicatesReadUncommitted),
    Object.entries(s.deadLetters)
      .map(([reason, n]) => `${reason}:${n}`)
      .join(' ') || '0',
    s.recoverySeconds === null ? '-' : s.recoverySeconds.toFixed(1),
    `${s.servingModel.actual.join('/') || '-'}${s.servingModel.right ? '' : ` (want ${s.servingModel.expected})`}`,
    s.passed ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  const notes = report.scenarios.flatMap((s) => s.notes.map((n) => `  ${s.scenario}: ${n}`));
  return [line(header), ...rows.map(line), ...(notes.length > 0 ? ['notes:', ...notes] : [])].join('\n');
}
