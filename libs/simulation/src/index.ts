export { DRIFT_SCENARIOS, FRAUD_SCENARIOS, isDriftScenario } from './simulation.types';
export type {
  DayEventSource,
  DriftScenario,
  FraudScenario,
  GroundTruth,
  ResolvedSimulationOptions,
  SimulatedDataset,
  SimulatedTransaction,
  SimulationEvent,
  SimulationOptions,
} from './simulation.types';
export {
  DEFAULT_START_TIME,
  DRIFT_EFFECTS,
  HANDBOOK_SIMULATION,
  TransactionSimulator,
  generateDataset,
  resolveSimulationOptions,
} from './transaction.simulator';
export { AGE_BANDS, GRID_SIZE, Population, REGIONS, cardId, defaultRadius, terminalId } from './population';
export type { AgeBand, Customer, PopulationOptions, Region, Terminal } from './population';
export { ANALYST_DESK_NAME, AnalystDesk, DEFAULT_CASE_DAYS, TruthLedger } from './analyst-desk';
export type { AnalystDeskOptions, CaseTransaction, LedgerTransaction } from './analyst-desk';
export { RetrainHold } from './retrain-hold';
export type { HoldableClock, RetrainHoldOptions } from './retrain-hold';
export { SIMULATED_IIN, isLuhnValid, luhnCheckDigit, simulatedCardNumber } from './card-number';
