/*
 * Event time is epoch milliseconds on every topic, so the lengths of its units are part of the
 * contract. They live here, at the root of the lib graph, so every lib and app can share one
 * definition without depending on anything else.
 */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
/** A UTC day: event-time days never have leap seconds or daylight-saving shifts. */
export const DAY_MS = 24 * HOUR_MS;
