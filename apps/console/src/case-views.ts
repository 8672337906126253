import { type CaseBook, UnknownCaseError, raisedAt, type CaseView } from '@fraudstream/console';

/** The case page's data for an alert, or UnknownCaseError. */
export function caseViewOf(book: CaseBook, alertId: string, now: number): CaseView {
  const alert = book.alert(alertId);
  if (!alert) throw new UnknownCaseError(alertId);
  return {
    alert,
    raisedAt: raisedAt(alert),
    state: book.state(alertId, now),
    cardHistory: book.cardHistory(alert.card_id),
    terminal: book.terminalFraudRate(alert.terminal_id),
    labels: book.labelsOf(alert.transaction_id),
  };
}
