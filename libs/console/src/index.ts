export { CaseBook, DEFAULT_CASE_BOOK_LIMITS, raisedAt } from './case-book';
export type {
  AlertsOnDay,
  CardScore,
  CaseBookLimits,
  CaseState,
  QueueFilter,
  QueueItem,
  QueuePage,
  QueueSort,
  QueueStatus,
  RecordedVerdict,
  TerminalFraudRate,
} from './case-book';
export { CaseDesk } from './case-desk.service';
export type {
  CaseDeskSettings,
  CaseOutbox,
  TopicCatchUp,
  VerdictChoice,
  VerdictOutcome,
} from './case-desk.service';
export {
  CaseBusyError,
  CaseClaimedError,
  CaseClosedError,
  ConsoleError,
  InvalidRequestError,
  ModelRefusedError,
  NotAcknowledgedError,
  NotClaimedError,
  NotReadyError,
  UnknownCaseError,
  UnknownModelError,
} from './console.errors';
export type { ConsoleErrorCode } from './console.errors';
export { ConsoleAuth, OIDC_FLOW_TTL_MS } from './console-auth.service';
export type { ConsoleOidc, Principal } from './console-auth.service';
export { OidcDiscoveryError, OpenIdClientAdapter } from './oidc-client.adapter';
export type { OidcChecks, OidcClient } from './oidc-client.adapter';
export { OidcSignInError, identityFromClaims, parseOidcRoleMap, rolesOfGroups } from './oidc-identity';
export type { OidcClaimSettings, OidcIdentity, OidcRoleMap } from './oidc-identity';
export {
  OIDC_CALLBACK_PATH,
  consoleOidcConfigFragment,
  oidcSettingsFrom,
  requireOidcSettings,
} from './oidc.config';
export type { ConsoleOidcConfig, OidcSettings } from './oidc.config';
export { CONSOLE_ROLES, parseConsoleUsers, rolesAllow } from './console-users';
export type { ConsolePermission, ConsoleRole, ConsoleUser } from './console-users';
export { hashPassword, isPasswordHash, verifyPassword } from './password-hash';
export { SessionTokens } from './session-tokens';
export type { SessionClaims } from './session-tokens';
export { consoleMetrics } from './console.metrics';
export type { ConsoleMetrics } from './console.metrics';
export { DriftTimeline } from './drift-timeline';
export type {
  DailyAp,
  DriftTimelineView,
  DriftWindowRow,
  RequestOutcome,
  RequestVersion,
} from './drift-timeline';
export { ModelDesk } from './model-desk.service';
export type { ModelCatalog, ModelDecision, ModelEntry } from './model-desk.service';
export {
  MAX_OPERATOR_REASON,
  claimSchema,
  modelActionSchema,
  parseRequest,
  queueQuerySchema,
  signInSchema,
  verdictSchema,
} from './console-requests.schemas';
export type {
  ClaimRequest,
  ModelActionRequest,
  QueueQuery,
  SignInRequest,
  VerdictRequest,
} from './console-requests.schemas';
export { caseBookLimitsFrom, caseDeskSettingsFrom, consoleConfigFragment } from './console.config';
export type { ConsoleSettingsConfig } from './console.config';
export { SafeHtml, escapeHtml, html } from './html';
export { barChartSvg, lineChartSvg } from './svg-charts';
export type { BarStack, LineSeries } from './svg-charts';
export { CONSOLE_CSS, CONSOLE_SCRIPT } from './console-assets';
export { renderSignInPage, renderSignedInPage } from './sign-in-page.view';
export { renderQueuePage, renderQueueRows } from './queue-page.view';
export type { QueueSections } from './queue-page.view';
export { renderCasePage } from './case-page.view';
export type { CaseView } from './case-page.view';
export { renderModelsPage } from './models-page.view';
export { renderDriftPage } from './drift-page.view';
export type { DriftPageData } from './drift-page.view';
