/** Replaces the password of a PostgreSQL URL so it can appear in messages. */
export function redactConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    // Not a URL (e.g. a libpq key=value string): hide anything after password=.
    return connectionString.replace(/(password\s*=\s*)(\S+)/gi, '$1***');
  }
}
