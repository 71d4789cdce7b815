// Helpers for tests in every workspace; nothing here is imported by code that ships.

/** The `code` of what `fn` throws (an AudataError's stable code), or undefined when it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}
