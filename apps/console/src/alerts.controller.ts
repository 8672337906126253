import { Controller, Get, Query, Sse, type MessageEvent } from '@nestjs/common';
import { CaseBook } from '@fraudstream/console';
import type { Observable } from 'rxjs';
import { LiveQueue } from './live-queue.service';
import { queueFilterFrom } from './queue-filter';

/** The alert queue as JSON, and live as server-sent events. */
@Controller('api/alerts')
export class AlertsController {
  constructor(
    private readonly book: CaseBook,
    private readonly live: LiveQueue,
  ) {}

  @Get()
  list(@Query() query: Record<string, unknown>) {
    const page = this.book.queue(queueFilterFrom(query), Date.now());
    return {
      matching: page.matching,
      open: page.open,
      items: page.items.map((i) => ({ alert: i.alert, raised_at: i.raisedAt, state: i.state })),
    };
  }

  /** `queue` events: the rendered rows of the page's sections for the filter, on every change. */
  @Sse('stream')
  stream(@Query() query: Record<string, unknown>): Observable<MessageEvent> {
    return this.live.stream(queueFilterFrom(query));
  }
}
