import type { Alert } from '@fraudstream/contracts';
import type { Investigation } from './early-evidence.monitor';

/**
 * An investigation as the INVESTIGATE alert the analysts review on fraud.alerts.v1 (key: card id).
 * The alert id names only the transaction, so a re-published investigation (a retried publish, a
 * replay after a restart) is the same alert. Its reasons are the features that set the transaction
 * apart from the nearest reference fraud, the gap (robust units) standing as the contribution.
 */
export function investigationAlert(inv: Investigation): Alert {
  return {
    alert_id: `investigate:${inv.transactionId}`,
    kind: 'INVESTIGATE',
    raised_at: inv.raisedAt,
    note: `new pattern: like confirmed missed fraud ${inv.seedTransactionId}`,
    transaction_id: inv.transactionId,
    card_id: inv.cardId,
    terminal_id: inv.terminalId,
    amount: inv.amount,
    event_time: inv.eventTime,
    score: inv.score,
    threshold: inv.threshold,
    model_version: inv.modelVersion,
    severity: 'LOW',
    reasons: inv.reasons.map((r) => ({ feature: r.feature, value: r.value, contribution: r.gap })),
  };
}
