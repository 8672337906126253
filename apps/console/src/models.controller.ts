import {
  Body,
  Controller,
  Get,
  Param,
  Post,
  createParamDecorator,
  type ExecutionContext,
} from '@nestjs/common';
import {
  ModelDesk,
  modelActionSchema,
  parseRequest,
  type ModelDecision,
  type ModelEntry,
  type Principal,
} from '@fraudstream/console';
import type { Request } from 'express';
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
const VERSION_ACTIONS = ['promote', 'approve', 'refuse'] as const;
type VersionAction = (typeof VERSION_ACTIONS)[number];

/** What a bad request body is called in its error message. */
const VERSION_ACTION_NOUNS: Record<VersionAction, string> = {
  promote: 'promotion',
  approve: 'approval',
  refuse: 'refusal',
};

/**
 * The decision a request asks for: the last segment of the route it matched (a pattern of
 * ModelsController.decide, not the request's own path, so always one of VERSION_ACTIONS).
 */
const RouteAction = createParamDecorator((_data: unknown, ctx: ExecutionContext): VersionAction => {
  const route: unknown = ctx.switchToHttp().getRequest<Request>().route;
  const path = (route as { path?: unknown } | undefined)?.path;
  const action = VERSION_ACTIONS.find((a) => typeof path === 'string' && path.endsWith(`/${a}`));
  if (!action) throw new Error(`the route ${String(path)} names no model decision`);
  return action;
});

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

  @Post(VERSION_ACTIONS.map((action) => `:version/${action}`))
  @Requires('operate-models')
  async decide(
    @Param('version') version: string,
    @RouteAction() action: VersionAction,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    const { reason } = parseRequest(modelActionSchema, body, VERSION_ACTION_NOUNS[action]);
    return answer(await this.models[action](version, principal.user, reason));
  }
}
