import { Controller, Get } from '@nestjs/common';
import { CaseBook, DriftTimeline } from '@fraudstream/console';

/** The drift page's data as JSON. */
@Controller('api/drift')
export class DriftController {
  constructor(
    private readonly timeline: DriftTimeline,
    private readonly book: CaseBook,
  ) {}

  @Get()
  read() {
    return {
      ...this.timeline.view(),
      daily_ap: this.timeline.dailyAp(),
      alerts_per_day: this.book.alertsPerDay(),
    };
  }
}
