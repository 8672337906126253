import { Body, Controller, Get, HttpStatus, Param, Post, Res } from '@nestjs/common';
import {
  CaseBook,
  CaseDesk,
  claimSchema,
  parseRequest,
  verdictSchema,
  type Principal,
} from '@fraudstream/console';
import type { Response } from 'express';
import { caseViewOf } from './case-views';
import { CurrentPrincipal, Requires } from './session.guard';

/** The case API: read a case; claim, release, escalate or decide it (analysts). HTTP only; CaseDesk decides. */
@Controller('api/cases')
export class CasesController {
  constructor(
    private readonly book: CaseBook,
    private readonly desk: CaseDesk,
  ) {}

  @Get(':alertId')
  read(@Param('alertId') alertId: string) {
    return caseViewOf(this.book, alertId, Date.now());
  }

  @Post(':alertId/claim')
  @Requires('work-cases')
  async claim(
    @Param('alertId') alertId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    const { comment } = parseRequest(claimSchema, body, 'claim');
    const state = await this.desk.claim(alertId, principal.user, comment);
    return { message: `claimed card until ${new Date(state.claimedUntil ?? 0).toISOString()}`, state };
  }

  @Post(':alertId/release')
  @Requires('work-cases')
  async release(
    @Param('alertId') alertId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    const { comment } = parseRequest(claimSchema, body, 'release');
    return { message: 'released', state: await this.desk.release(alertId, principal.user, comment) };
  }

  /** 201 when the label (or escalation) is recorded; 202 while Kafka has not acknowledged it yet. */
  @Post(':alertId/verdict')
  @Requires('work-cases')
  async verdict(
    @Param('alertId') alertId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) response: Response,
  ) {
    const request = parseRequest(verdictSchema, body, 'verdict');
    const outcome = await this.desk.decide(alertId, principal.user, request.verdict, request.comment);
    response.status(outcome.status === 'pending' ? HttpStatus.ACCEPTED : HttpStatus.CREATED);
    const what = request.verdict === 'ESCALATE' ? 'escalated' : `${request.verdict.toLowerCase()} verdict`;
    return {
      status: outcome.status,
      message:
        outcome.status === 'pending'
          ? `${what} sent; Kafka has not acknowledged it yet (the case stays locked until it does)`
          : `${what} recorded`,
      state: outcome.state,
      label: outcome.label,
    };
  }
}
