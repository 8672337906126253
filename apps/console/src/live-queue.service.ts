import { Injectable, type MessageEvent } from '@nestjs/common';
import { CaseBook, renderQueueRows, type QueueFilter, type QueuePage } from '@fraudstream/console';
import { Observable, Subject, takeUntil } from 'rxjs';

/** At most one update a client per this many ms, however fast alerts arrive. */
const THROTTLE_MS = 500;
/** Claims lapse with time alone: the rows are sent again at least this often. */
const REFRESH_MS = 15_000;

export interface QueueUpdate {
  readonly investigations: { readonly rows: string; readonly matching: number } | null;
  readonly scores: { readonly rows: string; readonly matching: number } | null;
  readonly open: QueuePage['open'];
}

/**
 * The live queue: for each connected page, its filtered sections rendered by the same code as the
 * page, sent as a server-sent event `queue` when the book changes (throttled) and every 15 s.
 */
@Injectable()
export class LiveQueue {
  private readonly closing = new Subject<void>();

  constructor(private readonly book: CaseBook) {}

  /** The sections of the queue page for a filter, as the page renders them. */
  sections(filter: QueueFilter, now: number): { investigations: QueuePage; scores: QueuePage } {
    return {
      investigations: this.book.queue({ ...filter, kind: 'INVESTIGATE' }, now),
      scores: this.book.queue({ ...filter, kind: 'SCORE' }, now),
    };
  }

  update(filter: QueueFilter, now: number): QueueUpdate {
    const { investigations, scores } = this.sections(filter, now);
    const section = (page: QueuePage, shown: boolean) =>
      shown ? { rows: renderQueueRows(page).value, matching: page.matching } : null;
    return {
      investigations: section(investigations, filter.kind !== 'SCORE'),
      scores: section(scores, filter.kind !== 'INVESTIGATE'),
      open: scores.open,
    };
  }

  stream(filter: QueueFilter): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      let timer: NodeJS.Timeout | null = null;
      const emit = () => subscriber.next({ type: 'queue', data: this.update(filter, Date.now()) });
      const schedule = () => {
        if (timer) return;
        timer = setTimeout(() => {
          timer = null;
          emit();
        }, THROTTLE_MS);
      };
      emit();
      const unsubscribe = this.book.subscribe(schedule);
      const refresh = setInterval(emit, REFRESH_MS);
      return () => {
        unsubscribe();
        clearInterval(refresh);
        if (timer) clearTimeout(timer);
      };
    }).pipe(takeUntil(this.closing));
  }

  /** Ends every stream (at shutdown: open streams would keep the HTTP server from closing). */
  close(): void {
    this.closing.next();
    this.closing.complete();
  }
}
