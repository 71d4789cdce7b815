// Structured logs: one JSON object per line, passed through a redaction layer so that
// bodies, keys, tokens, credentials and query strings never reach a log sink.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Receives each line (without newline). Defaults to stdout. */
  sink?: (line: string) => void;
  now?: () => Date;
}

const REDACTED = '[redacted]';

/**
 * Field names whose values are never logged, whatever they hold. Matched on the name with
 * case, dashes and underscores ignored, so `Authorization`, `x-api-key` and `secretAccessKey` all hit.
 */
const secretName =
  /^(authorization|proxyauthorization|cookie|setcookie|body|rawbody|payload|password|passphrase|mnemonic|seed|signature|document)$|token|secret|privatekey|apikey|accesskey|sessionkey|credential|sealed|filekey|datasetkey|^key$|keys$/;

/** Values that look like secrets wherever they appear. */
const secretValue: readonly RegExp[] = [
  /\b(Bearer|Basic|AWS4-HMAC-SHA256)\s+[^\s"]+/gi,
  /\bA(KIA|SIA)[A-Z0-9]{16}\b/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

/** Drops a URL's query and fragment, where callers sometimes put secrets. */
export function redactUrl(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : `${url.slice(0, cut)}?${REDACTED}`;
}

function redactString(value: string): string {
  let out = value;
  for (const pattern of secretValue) out = out.replace(pattern, REDACTED);
  // Any query string inside a URL-like token.
  out = out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#"]*|(?<![\w/])\/[^\s?#"]*)\?[^\s"]*/gi, `$1?${REDACTED}`);
  return out.length > 2000 ? `${out.slice(0, 2000)}…` : out;
}

/** Returns a copy of `value` that is safe to log. Bytes are replaced by their length. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (value instanceof Error) {
    const out: LogFields = { name: value.name, message: redactString(value.message) };
    const code = (value as { code?: unknown }).code;
    if (typeof code === 'string') out['code'] = code;
    if (value.cause !== undefined) out['cause'] = redact(value.cause, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => redact(item, depth + 1));
  const out: LogFields = {};
  for (const [name, item] of Object.entries(value)) {
    out[name] = secretName.test(normaliseName(name)) ? REDACTED : redact(item, depth + 1);
  }
  return out;
}

export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const threshold = levelRank[options.level ?? 'info'];
  const sink = options.sink ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, event: string, fields: LogFields = {}) => {
    if (levelRank[level] < threshold) return;
    const record = redact({ ...base, ...fields }) as LogFields;
    sink(JSON.stringify({ time: now().toISOString(), level, event, ...record }));
  };
  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}
