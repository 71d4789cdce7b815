// One error base for every Audata package, so that callers, logs and the CLI can rely on
// a stable `code` rather than on message text (the pattern viem's BaseError follows).

/** Values an error carries about its cause: safe to log, never secrets or audio. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | null>>;

export interface AudataErrorOptions {
  /** Structured facts about the failure, e.g. expected and received values. */
  details?: ErrorDetails;
  /** What the reader can do about it. */
  hint?: string;
  cause?: unknown;
}

export class AudataError extends Error {
  override name = 'AudataError';
  /** Stable, machine-readable identifier (SCREAMING_SNAKE_CASE); never changes meaning. */
  readonly code: string;
  readonly details: ErrorDetails;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.hint = options.hint;
  }

  /** One line for humans: the code, the cause and, when there is one, what to do. */
  describe(): string {
    return this.hint === undefined ? `${this.code}: ${this.message}` : `${this.code}: ${this.message} ${this.hint}`;
  }

  toJSON(): { code: string; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isAudataError(value: unknown): value is AudataError {
  return value instanceof AudataError;
}
