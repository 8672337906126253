import type { ModelDeployment, RetrainRequest } from '@fraudstream/contracts';

/** What a hold holds: the simulation's clock, with named holds (this one's is `retrain`). */
export interface HoldableClock {
  hold(key: string, reason: string): void;
  release(key: string): void;
}

const KEY = 'retrain';

export interface RetrainHoldOptions {
  /** Longest wall time one hold lasts when no answer comes (the trainer may be down). */
  readonly maxHoldMs: number;
  readonly now?: () => number;
  /** Told when a hold starts or ends, and why. */
  readonly log?: (message: string) => void;
}

/** Whether a deployment event answers a retrain request: its challenger shadowed or rejected, or its job failed. */
function answers(event: ModelDeployment): boolean {
  if (event.kind === 'JOB_FAILED') return true;
  return event.kind === 'STAGE_CHANGE' && (event.stage === 'SHADOW' || event.stage === 'REJECTED');
}

/**
 * Holds a simulation's clock while a retrain request is being answered. A fine-tuning job takes
 * tens of wall seconds, several simulated days at a demo's pace, where a bank's day would not notice
 * it: from a request on ml.retrain-requests.v1 until the trainer answers it on
 * ml.model-deployments.v1 (SHADOW, REJECTED or JOB_FAILED with the request's id), event time stands
 * still. The shadow period then runs on the stream as usual. A request still unanswered after
 * `maxHoldMs` lets the clock go.
 */
export class RetrainHold {
  private readonly open = new Set<string>();
  private readonly answered = new Set<string>();
  private since: number | null = null;
  private holds = 0;
  private heldMs = 0;
  private readonly now: () => number;

  constructor(
    private readonly clock: HoldableClock,
    private readonly options: RetrainHoldOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get holding(): boolean {
    return this.since !== null;
  }

  onRequests(requests: readonly RetrainRequest[]): void {
    for (const request of requests) {
      // The answer may be read first (the two topics are read as they come).
      if (this.answered.has(request.request_id)) continue;
      this.open.add(request.request_id);
      if (this.since !== null) continue;
      this.since = this.now();
      this.holds++;
      const reason = `retrain request ${request.request_id} is being answered`;
      this.clock.hold(KEY, reason);
      this.options.log?.(`clock held: ${reason}`);
    }
  }

  onDeployments(events: readonly ModelDeployment[]): void {
    for (const event of events) {
      if (!event.request_id || !answers(event)) continue;
      this.answered.add(event.request_id);
      if (this.open.delete(event.request_id) && this.open.size === 0)
        this.release(`${event.model_version} -> ${event.kind === 'JOB_FAILED' ? 'JOB_FAILED' : event.stage}`);
    }
  }

  /** Lets the clock go when the hold has lasted `maxHoldMs` (call it every second or so). */
  tick(): void {
    if (this.since === null || this.now() - this.since < this.options.maxHoldMs) return;
    const ids = [...this.open].join(', ');
    this.open.clear();
    this.release(`no answer to ${ids} after ${Math.round(this.options.maxHoldMs / 1000)} s`);
  }

  status(): { holding: boolean; holds: number; heldSeconds: number } {
    const current = this.since === null ? 0 : this.now() - this.since;
    return {
      holding: this.holding,
      holds: this.holds,
      heldSeconds: Math.round((this.heldMs + current) / 100) / 10,
    };
  }

  private release(why: string): void {
    if (this.since === null) return;
    const held = this.now() - this.since;
    this.heldMs += held;
    this.since = null;
    this.clock.release(KEY);
    this.options.log?.(`clock resumed after ${(held / 1000).toFixed(0)} s (${why})`);
  }
}
