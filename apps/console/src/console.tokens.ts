/** Injection token of the console's metrics (libs/console's consoleMetrics). */
export const CONSOLE_METRICS = Symbol('ConsoleMetrics');
