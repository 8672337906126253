/*
 * What the console refuses, and why, in the domain's words. The app's HTTP edge maps each code to a
 * status (docs/console.md); nothing here knows about HTTP.
 */

export type ConsoleErrorCode =
  | 'invalid_request'
  | 'unknown_case'
  | 'case_closed'
  | 'case_claimed'
  | 'case_busy'
  | 'not_claimed'
  | 'not_ready'
  | 'not_acknowledged'
  | 'unknown_model'
  | 'model_refused';

/** A request the console refuses; nothing was written. */
export class ConsoleError extends Error {
  constructor(
    readonly code: ConsoleErrorCode,
    message: string,
    /** What the client may show beside the message (the recorded verdict of a closed case...). */
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConsoleError';
  }
}

export class InvalidRequestError extends ConsoleError {
  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super('invalid_request', message, details);
    this.name = 'InvalidRequestError';
  }
}

export class UnknownCaseError extends ConsoleError {
  constructor(alertId: string) {
    super('unknown_case', `no alert ${JSON.stringify(alertId)} is known to the console`);
    this.name = 'UnknownCaseError';
  }
}

export class CaseClosedError extends ConsoleError {
  constructor(alertId: string, verdict: string, decidedBy: string | null) {
    super(
      'case_closed',
      `case ${alertId} is closed: ${verdict}${decidedBy ? ` by ${decidedBy}` : ''}; its label is recorded`,
      { verdict, decided_by: decidedBy },
    );
    this.name = 'CaseClosedError';
  }
}

export class CaseClaimedError extends ConsoleError {
  constructor(cardId: string, analyst: string, until: number) {
    super(
      'case_claimed',
      `card ${cardId} is claimed by ${analyst} until ${new Date(until).toISOString()}: ask them to release it`,
      { claimed_by: analyst, claimed_until: until },
    );
    this.name = 'CaseClaimedError';
  }
}

export class CaseBusyError extends ConsoleError {
  constructor(cardId: string) {
    super(
      'case_busy',
      `another action on card ${cardId} is being recorded; reload the case to see its outcome`,
    );
    this.name = 'CaseBusyError';
  }
}

export class NotClaimedError extends ConsoleError {
  constructor(alertId: string) {
    super('not_claimed', `case ${alertId} is not claimed by you`);
    this.name = 'NotClaimedError';
  }
}

export class NotReadyError extends ConsoleError {
  constructor() {
    super(
      'not_ready',
      'the console is still reading the alerts, cases and labels topics; try again in a moment',
    );
    this.name = 'NotReadyError';
  }
}

/** Kafka did not acknowledge a write in time, or refused it: it is not recorded (a late one still shows on the case). */
export class NotAcknowledgedError extends ConsoleError {
  constructor(what: string, options?: { cause?: unknown }) {
    super(
      'not_acknowledged',
      `${what} was not acknowledged by Kafka and is not recorded; reload the case and try again`,
      {},
      options,
    );
    this.name = 'NotAcknowledgedError';
  }
}

export class UnknownModelError extends ConsoleError {
  constructor(version: string) {
    super('unknown_model', `no model version ${JSON.stringify(version)} in the registry`);
    this.name = 'UnknownModelError';
  }
}

export class ModelRefusedError extends ConsoleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('model_refused', message, {}, options);
    this.name = 'ModelRefusedError';
  }
}
