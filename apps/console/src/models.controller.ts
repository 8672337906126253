import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import {
  ModelDesk,
  modelActionSchema,
  parseRequest,
  type ModelDecision,
  type ModelEntry,
  type Principal,
} from '@fraudstream/console';
import { CurrentPrincipal, Requires } from './session.guard';

/** A version without its reference samples (they are for the drift monitor, and large). */
function summary(entry: ModelEntry) {
  const { reference, ...manifest } = entry.manifest;
  return {
    version: entry.version,
    stage: entry.stage,
    manifest: {
      ...manifest,
      reference: { row_count: reference.row_count, fraud_rate: reference.fraud_rate },
    },
    audit: entry.audit,
    promotion_request: entry.promotionRequest,
  };
}

function answer(decision: ModelDecision) {
  return {
    ...decision,
    message: decision.approval
      ? `${decision.version} stays ${decision.stage}: its promotion awaits ${decision.approval.missing} approval(s) by a principal other than ${[decision.approval.requestedBy, ...decision.approval.approvals.map((a) => a.principal)].join(', ')}`
      : decision.events.length === 0
        ? `${decision.version} stays ${decision.stage}: ${decision.reason}`
        : decision.published
          ? `${decision.version} is ${decision.stage}; the scorers were told`
          : `${decision.version} is ${decision.stage} in the registry; its events did not reach Kafka yet (the trainer reconciles them)`,
  };
}

/** The decisions on one version's promotion, each a route of its own and a method of the desk. */
type VersionAction = 'promote' | 'approve' | 'refuse';

/** What a bad request body is called in its error message. */
const VERSION_ACTION_NOUNS: Record<VersionAction, string> = {
  promote: 'promotion',
  approve: 'approval',
  refuse: 'refusal',
};

/** The registry's versions; promote and roll back (model owners), through the code path of `npm run models`. */
@Controller('api/models')
export class ModelsController {
  constructor(private readonly models: ModelDesk) {}

  @Get()
  async list() {
    const catalog = await this.models.catalog();
    return { ...catalog, models: catalog.models.map(summary) };
  }

  @Get(':version')
  async read(@Param('version') version: string) {
    return summary(await this.models.model(version));
  }

  @Post('rollback')
  @Requires('operate-models')
  async rollback(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const { reason } = parseRequest(modelActionSchema, body, 'rollback');
    return answer(await this.models.rollback(principal.user, reason));
  }

  @Post(':version/promote')
  @Requires('operate-models')
  promote(
    @Param('version') version: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.decide('promote', version, body, principal);
  }

  @Post(':version/approve')
  @Requires('operate-models')
  approve(
    @Param('version') version: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.decide('approve', version, body, principal);
  }

  @Post(':version/refuse')
  @Requires('operate-models')
  refuse(@Param('version') version: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    return this.decide('refuse', version, body, principal);
  }

  /** One decision on a version's promotion, through the desk method of the same name. */
  private async decide(action: VersionAction, version: string, body: unknown, principal: Principal) {
    const { reason } = parseRequest(modelActionSchema, body, VERSION_ACTION_NOUNS[action]);
    return answer(await this.models[action](version, principal.user, reason));
  }
}
