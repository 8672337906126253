import {
  DAY_MS,
  type DriftEvent,
  type ModelDeployment,
  type ModelStage,
  type RetrainRequest,
} from '@fraudstream/contracts';

/** One window of one model: its verdict at close and at maturity. */
export interface DriftWindowRow {
  readonly modelVersion: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly close: DriftEvent | null;
  readonly mature: DriftEvent | null;
}

/** A version a retrain request produced: the stages it went through, in order, and the last one's reason. */
export interface RequestVersion {
  readonly version: string;
  readonly stages: readonly ModelStage[];
  readonly reason: string;
}

/** What became of a retrain request: the versions it produced, or the job's failure. */
export interface RequestOutcome {
  readonly request: RetrainRequest;
  /** `pending` while nothing answered it. */
  readonly outcome: 'pending' | 'job-failed' | 'answered';
  readonly versions: readonly RequestVersion[];
  readonly failure: string | null;
}

export interface DriftTimelineView {
  /** Newest window first. */
  readonly windows: readonly DriftWindowRow[];
  /** EVIDENCE events, newest first. */
  readonly evidence: readonly DriftEvent[];
  /** Newest first. */
  readonly requests: readonly RequestOutcome[];
}

/** A day's average precision at maturity and the reference it is compared with. */
export interface DailyAp {
  readonly day: number;
  readonly ap: number | null;
  readonly reference: number | null;
  readonly modelVersion: string;
}

/** Most windows, evidence events and requests kept: a year of daily windows and then some. */
const MAX_ROWS = 1000;

function keep<K, V>(map: Map<K, V>): void {
  while (map.size > MAX_ROWS) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) return;
    map.delete(oldest);
  }
}

/**
 * The drift monitor's decisions as the console shows them, from ml.drift-events.v1,
 * ml.retrain-requests.v1 and ml.model-deployments.v1: per window and model the verdict at close and
 * at maturity with their statistics, the early-evidence alarms, and each retrain request with what
 * came of it (a challenger's stages, or the job's failure). Events are keyed by their stable ids, so
 * a replay changes nothing.
 */
export class DriftTimeline {
  private readonly windows = new Map<string, { close: DriftEvent | null; mature: DriftEvent | null }>();
  private readonly evidence = new Map<string, DriftEvent>();
  private readonly requests = new Map<string, RetrainRequest>();
  private readonly deployments = new Map<string, ModelDeployment>();

  applyDriftEvents(events: readonly DriftEvent[]): void {
    for (const e of events) {
      if (e.phase === 'EVIDENCE') {
        this.evidence.set(e.event_id, e);
        keep(this.evidence);
        continue;
      }
      const key = `${e.model_version}:${e.window_start}`;
      const row = this.windows.get(key) ?? { close: null, mature: null };
      if (e.phase === 'CLOSE') row.close = e;
      else row.mature = e;
      this.windows.set(key, row);
      keep(this.windows);
    }
  }

  applyRetrainRequests(requests: readonly RetrainRequest[]): void {
    for (const r of requests) this.requests.set(r.request_id, r);
    keep(this.requests);
  }

  applyDeployments(events: readonly ModelDeployment[]): void {
    for (const d of events) this.deployments.set(d.deployment_id, d);
    keep(this.deployments);
  }

  view(): DriftTimelineView {
    const windows = [...this.windows.entries()].map(([, row]): DriftWindowRow => {
      const any = (row.close ?? row.mature) as DriftEvent;
      return {
        modelVersion: any.model_version,
        windowStart: any.window_start,
        windowEnd: any.window_end,
        close: row.close,
        mature: row.mature,
      };
    });
    windows.sort((a, b) => b.windowStart - a.windowStart || a.modelVersion.localeCompare(b.modelVersion));
    const evidence = [...this.evidence.values()].sort((a, b) => b.window_end - a.window_end);
    const requests = [...this.requests.values()]
      .sort((a, b) => b.event_time - a.event_time)
      .map((r) => this.outcomeOf(r));
    return { windows, evidence, requests };
  }

  /**
   * Average precision by event-time day, from the mature events: where two models have a window on
   * the same day (a hot swap), the one with more rows.
   */
  dailyAp(): DailyAp[] {
    const byDay = new Map<number, DriftEvent>();
    for (const { mature } of this.windows.values()) {
      if (!mature) continue;
      const day = Math.floor(mature.window_start / DAY_MS);
      const other = byDay.get(day);
      if (!other || other.row_count < mature.row_count) byDay.set(day, mature);
    }
    return [...byDay]
      .sort(([a], [b]) => a - b)
      .map(([day, e]) => ({
        day,
        ap: e.average_precision,
        reference: e.reference_average_precision,
        modelVersion: e.model_version,
      }));
  }

  private outcomeOf(request: RetrainRequest): RequestOutcome {
    const all = [...this.deployments.values()];
    const failed = all.find((d) => d.kind === 'JOB_FAILED' && d.request_id === request.request_id);
    // The versions the request's job produced; their later stages (promotion, retirement) are
    // announced by other decisions, so every stage change of those versions counts, in topic order.
    const produced = new Set(
      all
        .filter((d) => d.kind === 'STAGE_CHANGE' && d.request_id === request.request_id)
        .map((d) => d.model_version),
    );
    const versions = new Map<string, { version: string; stages: ModelStage[]; reason: string }>();
    for (const d of all) {
      if (d.kind !== 'STAGE_CHANGE' || !produced.has(d.model_version)) continue;
      const v = versions.get(d.model_version) ?? { version: d.model_version, stages: [], reason: '' };
      if (v.stages.at(-1) !== d.stage) v.stages.push(d.stage);
      v.reason = d.reason;
      versions.set(d.model_version, v);
    }
    return {
      request,
      outcome: versions.size > 0 ? 'answered' : failed ? 'job-failed' : 'pending',
      versions: [...versions.values()],
      failure: failed ? failed.reason : null,
    };
  }
}
