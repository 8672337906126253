import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import {
  CONSOLE_CSS,
  CONSOLE_SCRIPT,
  CaseBook,
  DriftTimeline,
  ModelDesk,
  renderCasePage,
  renderDriftPage,
  renderModelsPage,
  renderQueuePage,
  type Principal,
} from '@fraudstream/console';
import { ConsoleAuth } from '@fraudstream/console';
import { caseViewOf } from './case-views';
import { LiveQueue } from './live-queue.service';
import { queueFilterFrom, queueQueryOf } from './queue-filter';
import { CurrentPrincipal, Public } from './session.guard';

const HTML = 'text/html; charset=utf-8';

/** The console's pages (server-rendered HTML) and their stylesheet and script. HTTP only. */
@Controller()
export class PagesController {
  constructor(
    private readonly book: CaseBook,
    private readonly live: LiveQueue,
    private readonly timeline: DriftTimeline,
    private readonly models: ModelDesk,
    private readonly auth: ConsoleAuth,
  ) {}

  @Get()
  @Header('Content-Type', HTML)
  queue(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, unknown>): string {
    const filter = queueFilterFrom(query);
    return renderQueuePage(
      principal,
      filter,
      this.live.sections(filter, Date.now()),
      `/api/alerts/stream${queueQueryOf(filter)}`,
    );
  }

  @Get('cases/:alertId')
  @Header('Content-Type', HTML)
  case(@CurrentPrincipal() principal: Principal, @Param('alertId') alertId: string): string {
    return renderCasePage(
      principal,
      caseViewOf(this.book, alertId, Date.now()),
      this.auth.may(principal, 'work-cases'),
    );
  }

  @Get('models')
  @Header('Content-Type', HTML)
  async modelsPage(@CurrentPrincipal() principal: Principal): Promise<string> {
    return renderModelsPage(
      principal,
      await this.models.catalog(),
      this.auth.may(principal, 'operate-models'),
    );
  }

  @Get('drift')
  @Header('Content-Type', HTML)
  drift(@CurrentPrincipal() principal: Principal): string {
    return renderDriftPage(principal, {
      timeline: this.timeline.view(),
      dailyAp: this.timeline.dailyAp(),
      alertsPerDay: this.book.alertsPerDay(),
    });
  }

  @Public()
  @Get('assets/console.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  css(): string {
    return CONSOLE_CSS;
  }

  @Public()
  @Get('assets/console.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  script(): string {
    return CONSOLE_SCRIPT;
  }
}
