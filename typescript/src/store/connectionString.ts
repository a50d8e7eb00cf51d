const URL_FORM = /^([a-z][a-z0-9+.-]*:\/\/)([\s\S]*)$/i;
const QUERY_PASSWORD = /([?&](?:ssl)?password=)[^&#]*/gi;
const KEYWORD_PASSWORD = /(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)/gi;

/**
 * Hides the password of a PostgreSQL connection string so it can appear in
 * messages. Works on the text, not on a parsed URL: a string that no parser
 * accepts (a bad port, an unencoded `/ ? # @` in the password) must be hidden
 * too, and parsers disagree on where such a password ends. So everything from
 * the first `:` of the user info to the last `@` is hidden, which may hide a
 * little more than the password, never less; `password=` in the query string
 * or in a libpq `key=value` string is hidden as well.
 */
export function redactConnectionString(connectionString: string): string {
  const url = URL_FORM.exec(connectionString);
  if (!url) return connectionString.replace(KEYWORD_PASSWORD, '$1***');
  const [, scheme, rest] = url;
  const at = rest.lastIndexOf('@');
  const colon = rest.indexOf(':');
  const withoutUserPassword =
    at >= 0 && colon >= 0 && colon < at ? `${rest.slice(0, colon)}:***${rest.slice(at)}` : rest;
  return scheme + withoutUserPassword.replace(QUERY_PASSWORD, '$1***');
}
