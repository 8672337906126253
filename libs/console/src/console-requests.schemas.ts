import { CONTRACT_LIMITS } from '@fraudstream/contracts';
import { z } from 'zod';
import { InvalidRequestError } from './console.errors';

/** Longest reason an operator may give for a promotion or rollback (it goes into the audit log). */
export const MAX_OPERATOR_REASON = 500;

const comment = z
  .string()
  .max(CONTRACT_LIMITS.commentLength, `is longer than ${CONTRACT_LIMITS.commentLength} characters`);

export const signInSchema = z.strictObject({
  username: z.string().min(1, 'is empty').max(64, 'is longer than 64 characters'),
  password: z.string().min(1, 'is empty').max(1024, 'is longer than 1024 characters'),
});

export const verdictSchema = z.strictObject({
  verdict: z.enum(['FRAUD', 'LEGITIMATE', 'ESCALATE']),
  comment: comment.default(''),
});

export const claimSchema = z.strictObject({ comment: comment.default('') });

export const modelActionSchema = z.strictObject({
  reason: z
    .string()
    .min(1, 'is empty')
    .max(MAX_OPERATOR_REASON, `is longer than ${MAX_OPERATOR_REASON} characters`)
    .optional(),
});

export const queueQuerySchema = z.strictObject({
  severity: z.enum(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']).optional(),
  kind: z.enum(['SCORE', 'INVESTIGATE']).optional(),
  model: z.string().min(1).max(CONTRACT_LIMITS.versionLength).optional(),
  card: z.string().min(1).max(CONTRACT_LIMITS.idLength).optional(),
  status: z.enum(['open', 'closed', 'all']).optional(),
  sort: z.enum(['newest', 'score']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export type SignInRequest = z.infer<typeof signInSchema>;
export type VerdictRequest = z.infer<typeof verdictSchema>;
export type ClaimRequest = z.infer<typeof claimSchema>;
export type ModelActionRequest = z.infer<typeof modelActionSchema>;
export type QueueQuery = z.infer<typeof queueQuerySchema>;

/**
 * Parses a request body or query against its schema, or throws InvalidRequestError naming every
 * failing field (a body that is not a JSON object says so).
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 5).map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : what;
    return issue.code === 'unrecognized_keys'
      ? `${what} has unknown fields: ${issue.keys.join(', ')}`
      : `${field} ${issue.message}`;
  });
  throw new InvalidRequestError(`invalid ${what}: ${issues.join('; ')}`, {
    fields: result.error.issues.map((i) => i.path.join('.')),
  });
}
