import { parseRequest, queueQuerySchema, type QueueFilter } from '@fraudstream/console';

/** The queue filter of a query string; empty fields (a form's "any") are no filter. */
export function queueFilterFrom(query: Record<string, unknown>): QueueFilter {
  const given = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''));
  return parseRequest(queueQuerySchema, given, 'queue filter');
}

/** The query string of a filter (for the live stream's URL). */
export function queueQueryOf(filter: QueueFilter): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}
