import { appConfigFragment, boolVar, intVar, loadConfig, numberVar, type Env } from '@fraudstream/config';
import { Topics } from '@fraudstream/contracts';
import { checkKafkaSecurity, kafkaConfigFragment } from '@fraudstream/kafka';
import { DATASET_FORMATS } from '@fraudstream/datasets';
import { checkPiiSettings, piiConfigFragment } from '@fraudstream/pii';
import { DEFAULT_CASE_DAYS, DRIFT_SCENARIOS } from '@fraudstream/simulation';
import { z } from 'zod';

/**
 * Environment of the simulator app: composed of the lib fragments it uses, plus the run it starts
 * at boot when SIMULATOR_AUTOSTART=true (the same knobs as `npm run simulate`).
 */
export const simulatorConfigSchema = z
  .object({
    ...appConfigFragment.shape,
    ...kafkaConfigFragment.shape,
    ...piiConfigFragment.shape,
    HTTP_PORT: intVar(3004, 0, 65535),
    SIMULATOR_AUTOSTART: boolVar(false),
    SIM_SEED: intVar(7),
    SIM_DAYS: intVar(30, 1, 3650),
    SIM_SCENARIO: z.enum(DRIFT_SCENARIOS).default('stable'),
    SIM_DRIFT_DAY: intVar(7, 0, 3650),
    SIM_DRIFT_INTENSITY: numberVar(1, 0, 100),
    SIM_CUSTOMERS: intVar(5_000, 1, 10_000_000),
    SIM_TERMINALS: intVar(10_000, 1, 10_000_000),
    /** Wall seconds per simulated day; 0 sends as fast as the broker takes it. */
    SIM_DAY_SECONDS: numberVar(10, 0, 86_400),
    /**
     * The first N simulated days go out as fast as the broker takes them, the rest paced: a history
     * that fills the scorer's 30-day feature windows before anyone watches (the demo).
     */
    SIM_UNPACED_DAYS: intVar(0, 0, 3650),
    /**
     * Pause once the unpaced days are sent, until `POST /simulation/resume`: the paced part then
     * starts when the consumers have caught up with the history, not while they are still at it.
     */
    SIM_HOLD_AFTER_UNPACED: boolVar(false),
    /** Analyst verdicts per simulated day on fraud.alerts.v1; 0 runs no analyst desk. */
    SIM_ANALYST_CAPACITY: intVar(100, 0, 1_000_000),
    /**
     * Share of that capacity kept for the drift monitor's INVESTIGATE alerts (score alerts get the
     * rest): the drift monitor's DRIFT_INVESTIGATION_SHARE, 0.2 by default on both sides.
     */
    SIM_ANALYST_INVESTIGATION_SHARE: numberVar(0.2, 0, 1),
    /**
     * Days before an alert that a confirmed fraud's case reaches on its card (the desk labels the
     * card's transactions of that span too); 0: the alerted transaction only.
     */
    SIM_ANALYST_CASE_DAYS: intVar(DEFAULT_CASE_DAYS, 0, 7),
    /** Share of the alerts the analyst desk leaves to people in the console (the demo's live mode). */
    SIM_ANALYST_PEOPLE_SHARE: numberVar(0, 0, 1),
    /** The analysts' consumer group; default `fraudstream-simulator-analysts-<SIM_SEED>`. */
    SIM_ANALYST_GROUP_ID: z.string().min(1).optional(),
    /**
     * Hold the clock while a retrain request is being answered: from a request on
     * SIM_RETRAIN_REQUESTS_TOPIC until its SHADOW, REJECTED or JOB_FAILED on SIM_DEPLOYMENTS_TOPIC,
     * at most SIM_MAX_HOLD_SECONDS. For accelerated runs (the demo), where a job's seconds are days.
     */
    SIM_HOLD_WHILE_RETRAINING: boolVar(false),
    SIM_MAX_HOLD_SECONDS: intVar(300, 1, 86_400),
    SIM_RETRAIN_REQUESTS_TOPIC: z.string().min(1).default(Topics.retrainRequests),
    SIM_DEPLOYMENTS_TOPIC: z.string().min(1).default(Topics.modelDeployments),
    SIM_HOLD_GROUP_ID: z.string().min(1).optional(),
    SIM_TRANSACTIONS_TOPIC: z.string().min(1).default(Topics.transactions),
    SIM_LABELS_TOPIC: z.string().min(1).default(Topics.labels),
    SIM_ALERTS_TOPIC: z.string().min(1).default(Topics.alerts),
    /**
     * Replay a bank's file instead of simulating (docs/datasets.md): its days from SIM_FILE_FROM_DAY
     * on, SIM_DAYS of them, with the same pacing, topics and analyst desk (truth from the file).
     */
    SIM_FILE_TRANSACTIONS: z.string().min(1).optional(),
    SIM_FILE_LABELS: z.string().min(1).optional(),
    SIM_FILE_FORMAT: z.enum(DATASET_FORMATS).default('handbook'),
    SIM_FILE_LABEL_DELAY: z
      .string()
      .regex(/^(fixed:\d+(\.\d+)?|uniform:\d+(\.\d+)?-\d+(\.\d+)?)$/, 'fixed:<days> or uniform:<min>-<max>')
      .default('uniform:1-7'),
    SIM_FILE_FROM_DAY: intVar(0, 0, 100_000),
  })
  .superRefine(checkKafkaSecurity)
  .superRefine(checkPiiSettings);

export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;

export const APP_CONFIG = Symbol('SimulatorConfig');

export function loadSimulatorConfig(env?: Env): SimulatorConfig {
  return loadConfig(simulatorConfigSchema, env);
}
