/** Injection tokens of the trainer app. */
export const MODEL_REGISTRY = Symbol('ModelRegistry');
export const FINE_TUNE_JOB = Symbol('FineTuneJob');
export const DEPLOYMENT_LIFECYCLE = Symbol('DeploymentLifecycle');
export const DEPLOYMENT_ANNOUNCER = Symbol('DeploymentAnnouncer');
