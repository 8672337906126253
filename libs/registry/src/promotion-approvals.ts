import type { ModelStage } from '@fraudstream/contracts';
import type { AuditEntry } from './registry.types';

/** Front ends through which a person acts; `cli:alice` and `console:alice` are the same principal. */
const OPERATOR_CHANNELS = ['cli:', 'console:'] as const;

/** What a principal's name may be: it is written into the audit log and compared for four-eyes. */
export const PRINCIPAL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * The principal behind an audit actor: an operator's name without the front end it used
 * (`cli:alice`, `console:alice` → `alice`, so one person cannot approve through the console what
 * they requested through the CLI), or an automated actor's process without its role
 * (`trainer:t1/shadow` → `trainer:t1`).
 */
export function principalOf(actor: string): string {
  for (const channel of OPERATOR_CHANNELS) if (actor.startsWith(channel)) return actor.slice(channel.length);
  const slash = actor.indexOf('/');
  return slash < 0 ? actor : actor.slice(0, slash);
}

/** One approval of an open promotion request. */
export interface PromotionApproval {
  readonly principal: string;
  readonly actor: string;
  /** Wall-clock time of the audit entry. */
  readonly at: string;
  readonly eventTime: number;
}

/** A request to move a version to PRODUCTION that waits for approvals (four-eyes promotion). */
export interface PromotionRequest {
  readonly version: string;
  /** The stage the version waits in (CANDIDATE or SHADOW). */
  readonly stage: ModelStage;
  readonly requestedBy: string;
  readonly actor: string;
  readonly at: string;
  readonly eventTime: number;
  readonly reason: string;
  /** The numbers behind the request (the shadow check's, for the automated lifecycle). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly approvals: readonly PromotionApproval[];
  /** Distinct principals the promotion needs, the requester included (REGISTRY_PROMOTION_APPROVALS). */
  readonly required: number;
  /** Approvals still missing: `required - 1 - approvals.length`, never below 0. */
  readonly missing: number;
}

/**
 * The open promotion request of every version, from the audit log: a PROMOTION_REQUESTED entry
 * opens one, PROMOTION_APPROVED entries add to it, and a PROMOTION_REFUSED entry or any later stage
 * change of the version closes it.
 */
export function openPromotionRequests(
  audit: readonly AuditEntry[],
  required: number,
): Map<string, PromotionRequest> {
  const open = new Map<string, PromotionRequest>();
  for (const entry of audit) {
    switch (entry.action) {
      case 'PROMOTION_REQUESTED':
        open.set(entry.version, {
          version: entry.version,
          stage: entry.from_stage ?? 'CANDIDATE',
          requestedBy: principalOf(entry.actor),
          actor: entry.actor,
          at: entry.at,
          eventTime: entry.event_time,
          reason: entry.reason,
          metrics: entry.metrics,
          approvals: [],
          required,
          missing: Math.max(0, required - 1),
        });
        break;
      case 'PROMOTION_APPROVED': {
        const request = open.get(entry.version);
        if (!request) break;
        const approvals = [
          ...request.approvals,
          {
            principal: principalOf(entry.actor),
            actor: entry.actor,
            at: entry.at,
            eventTime: entry.event_time,
          },
        ];
        open.set(entry.version, {
          ...request,
          approvals,
          missing: Math.max(0, required - 1 - approvals.length),
        });
        break;
      }
      case 'PROMOTION_REFUSED':
      case 'STAGE_CHANGE':
        open.delete(entry.version);
        break;
      case 'REGISTERED':
      case 'JOB_FAILED':
        break;
    }
  }
  return open;
}

/**
 * Why `principal` may not approve `request`, or null when they may: the requester cannot approve
 * their own request, nobody approves twice, and a request that has its approvals needs no more.
 */
export function approvalRefusal(request: PromotionRequest, principal: string): string | null {
  if (principal === request.requestedBy)
    return `${principal} requested the promotion of ${request.version} and cannot approve it: a second principal must`;
  if (request.approvals.some((a) => a.principal === principal))
    return `${principal} already approved the promotion of ${request.version}; it needs ${request.missing} more approval(s) by other principals`;
  return null;
}

/** The reason a move to PRODUCTION is refused for want of approvals. */
export function missingApprovalReason(
  version: string,
  required: number,
  request: PromotionRequest | null,
): string {
  const rule = `promotions to PRODUCTION need ${required} distinct principals (REGISTRY_PROMOTION_APPROVALS=${required})`;
  if (!request)
    return `model version ${version} has no promotion request: ${rule}; request it with promote first`;
  const others = [request.requestedBy, ...request.approvals.map((a) => a.principal)].join(', ');
  return `model version ${version} awaits approval by ${request.missing} more principal(s) other than ${others}: ${rule}`;
}
