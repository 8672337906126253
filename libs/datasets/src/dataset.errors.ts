/** A file that cannot be imported at all (missing, unreadable, without the columns its format needs). */
export class DatasetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetError';
  }
}
