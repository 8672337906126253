import { DAY_MS } from '@fraudstream/contracts';
import { evidenceLine, type LoopObservation } from './loop-observer';

/** What the demo knows besides the topics: its phase, sizes and throughput. */
export interface LiveStatus {
  readonly runId: string;
  readonly scenario: string;
  readonly driftDay: number;
  readonly days: number;
  readonly customers: number;
  readonly daySeconds: number;
  readonly phase: string;
  /** The stream's clock: running, or held while a retrain request is answered. */
  readonly clock: string;
  /** Where the drift monitor is, in event days (its watermark), or null before it watches. */
  readonly monitorDay: number | null;
  readonly txPerSecond: number;
  readonly expectedTransactions: number;
  readonly baseVersion: string | null;
  /** AP of the champion per finished event day (null: not yet known). */
  readonly apByDay: readonly (number | null)[];
  /** The console's URL and sign-in, once it runs. */
  readonly console?: string | null;
}

const n = (v: number) => v.toLocaleString('en-US');

function isoDay(startTime: number, day: number): string {
  return new Date(startTime + day * DAY_MS).toISOString().slice(0, 10);
}

/** The stage each model version last reached, in order of first appearance. */
function stages(o: LoopObservation): string {
  const last = new Map<string, string>();
  for (const d of o.deployments) if (d.kind === 'STAGE_CHANGE') last.set(d.model_version, d.stage);
  return [...last].map(([v, s]) => `${v} ${s}`).join(' · ') || '-';
}

/** The live view: a screenful redrawn every second (or read top to bottom in a log). */
export function renderLiveView(o: LoopObservation, s: LiveStatus): string[] {
  const day = o.currentDay;
  const today = day ?? 0;
  const shadow = [...o.deployments].reverse().find((d) => d.kind === 'STAGE_CHANGE');
  const lastDrift = o.driftEvents.filter((e) => e.phase !== 'EVIDENCE').at(-1);
  const lastEvidence = o.driftEvents.filter((e) => e.phase === 'EVIDENCE').at(-1);
  const inv = o.investigationCounts();
  const lastRequest = o.retrainRequests.at(-1);
  const onset = day !== null && day >= s.driftDay ? 'drift ON' : `drift from day ${s.driftDay}`;
  const ap = s.apByDay
    .map((v, d) => (v === null ? null : `${d}:${v.toFixed(2)}`))
    .filter((v): v is string => v !== null);
  const lines = [
    `fraudstream closed loop · run ${s.runId} · ${s.scenario} · ${n(s.customers)} customers · ${s.daySeconds} s per simulated day`,
    '─'.repeat(100),
    `phase       ${s.phase}`,
    `event day   ${day === null ? '-' : `${day} / ${s.days - 1}  (${isoDay(o.startTime, today)})`}   ${onset}   clock ${s.clock}`,
    `throughput  ${n(Math.round(s.txPerSecond))} tx/s   produced ${n(o.produced.size)} / ${n(s.expectedTransactions)}   scored ${n(o.champion.size)}   shadow-scored ${n(o.challengerPlaces.size)}`,
    `alerts      ${n(o.alerts)} in all, ${n(o.alertsByDay[today] ?? 0)} on day ${today}`,
    `model       serving ${o.servingVersion ?? s.baseVersion ?? '-'}   stages: ${stages(o)}`,
    `monitor     ${s.monitorDay === null ? 'not watching yet' : `at day ${s.monitorDay.toFixed(2)} (its event-time watermark)`}`,
    `drift       ${
      lastDrift
        ? `${o.driftEvents.length} events; last: day ${o.dayOf(lastDrift.window_start)} ${lastDrift.verdict}` +
          (lastDrift.severity === 'NONE' ? '' : ` (${lastDrift.severity})`)
        : 'no window closed yet'
    }`,
    `evidence    ${lastEvidence ? `day ${o.dayOf(lastEvidence.window_start)} ${evidenceLine(lastEvidence)}` : 'no alarm yet'}`,
    `investigate ${inv.raised > 0 ? `${n(inv.raised)} raised, ${n(inv.verdicts)} verdicts, ${n(inv.frauds)} frauds found` : 'none raised'}`,
    `retrains    ${lastRequest ? `${o.retrainRequests.length} requested; last ${lastRequest.request_id} (${lastRequest.trigger})` : 'none requested'}`,
    `deploys     ${o.deployments.length} events; last ${shadow ? `${shadow.model_version} -> ${shadow.stage} on day ${o.dayOf(shadow.event_time)}` : '-'}`,
    `AP by day   ${ap.length > 0 ? ap.slice(-12).join('  ') : '-'}   (champion scores vs the simulator's truth)`,
    `console     ${s.console ?? 'starting'}   (the desk leaves some alerts to you: open, claim, decide)`,
    '',
    'recent',
    ...o.notices.slice(-10).map((e) => `  [day ${String(e.day).padStart(2)}] ${e.text}`),
    '',
    'Ctrl-C stops every app cleanly and writes the report so far.',
  ];
  return lines;
}
