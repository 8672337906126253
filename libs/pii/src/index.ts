export { CardTokeniser, isCardToken, tokenKeyId, tokenWith } from './card-tokeniser';
export type { ScheduledTokenKey } from './card-tokeniser';
export { MIN_TOKEN_KEY_BYTES, TokenKey } from './token-key';
export { TokenInputError, TokenKeyError } from './pii.errors';
export type { TokenKeyFailure } from './pii.errors';
export {
  LOCAL_TOKEN_KEY_FILE,
  checkPiiSettings,
  createCardTokeniser,
  ensureLocalTokenKey,
  piiConfigFragment,
} from './pii.config';
export type { PiiConfig } from './pii.config';
