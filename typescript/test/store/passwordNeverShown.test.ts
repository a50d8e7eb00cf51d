import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify, inspect } from 'node:util';
import { DurableSession, RunStateStore, StoreUnavailableError, TimestepError } from '../../src/index.js';
import { redactConnectionString } from '../../src/store/connectionString.js';
import { REPO_ROOT, freshAppDirectory } from '../support/environment.js';
import { referenceAgents } from '../support/referenceAgents.js';

const SECRET = 'Hunter2secret';

/**
 * Connection strings whose password must never be shown. Nothing listens on
 * port 1 of the loopback address, so no case reaches a server.
 */
const CASES: Array<{ name: string; url: string; password: string }> = [
  { name: 'invalid port', url: `postgresql://app:${SECRET}@127.0.0.1:99999/app`, password: SECRET },
  { name: 'non-numeric port', url: `postgresql://app:${SECRET}@127.0.0.1:port/app`, password: SECRET },
  ...['/', '?', '#', '@'].map((special) => ({
    name: `unencoded ${special} in the password`,
    url: `postgresql://app:${SECRET}${special}tail${special}x@127.0.0.1:1/app`,
    password: `${SECRET}${special}tail${special}x`,
  })),
  { name: '?password= in the query string', url: `postgresql://app@127.0.0.1:1/app?password=${SECRET}`, password: SECRET },
  {
    name: 'password= among other query parameters',
    url: `postgresql://127.0.0.1:1/app?user=app&password=${SECRET}&sslmode=disable`,
    password: SECRET,
  },
  { name: 'libpq key=value string', url: `host=127.0.0.1 port=1 password=${SECRET} dbname=app`, password: SECRET },
  { name: 'quoted key=value password', url: `host=127.0.0.1 port=1 password='${SECRET} x' dbname=app`, password: SECRET },
];

/** Every text a caller could print for an error. */
function renderings(error: unknown): string[] {
  const e = error as Error;
  return [String(e?.message), String(e?.stack), String(error), inspect(error, { depth: 10 }), JSON.stringify(error) ?? ''];
}

/** The password, and every token of it at least 6 characters long. */
function secretsOf(password: string): string[] {
  return [password, ...password.split(/[/?#@ ]/).filter((part) => part.length >= 6)];
}

function assertNoSecret(texts: string[], password: string, what: string) {
  for (const text of texts) {
    for (const secret of secretsOf(password)) {
      assert.ok(!text.includes(secret), `${what}: "${secret}" appears in\n${text}`);
    }
  }
}

describe('the database password is never shown', () => {
  for (const { name, url, password } of CASES) {
    test(`redactConnectionString: ${name}`, () => {
      const redacted = redactConnectionString(url);
      assertNoSecret([redacted], password, name);
      assert.match(redacted, /127\.0\.0\.1/, 'the rest stays readable');
    });

    test(`RunStateStore and DurableSession errors: ${name}`, async () => {
      const { personalAssistant } = referenceAgents();
      const store = new RunStateStore({ agent: personalAssistant, runId: 'password-leak', connectionString: url });
      const session = new DurableSession({ sessionId: 'password-leak', connectionString: url });
      try {
        for (const call of [() => store.history(), () => store.load(), () => session.getItems()]) {
          const error = await call().then(
            () => assert.fail('no server can be reached'),
            (e: unknown) => e,
          );
          assert.ok(error instanceof StoreUnavailableError, `${name}: ${inspect(error)}`);
          assertNoSecret(renderings(error), password, name);
        }
      } finally {
        await store.close();
        await session.close();
      }
    });
  }

  test('printing or serialising a store or session does not show its connection string', async () => {
    const { personalAssistant } = referenceAgents();
    const { url, password } = CASES[2];
    const store = new RunStateStore({ agent: personalAssistant, runId: 'password-leak', connectionString: url });
    const session = new DurableSession({ sessionId: 'password-leak', connectionString: url });
    try {
      for (const [what, value] of [['RunStateStore', store], ['DurableSession', session]] as const) {
        assertNoSecret([inspect(value, { depth: 10, showHidden: true }), JSON.stringify(value) ?? ''], password, what);
      }
    } finally {
      await store.close();
      await session.close();
    }
  });

  test('timestep db status (text and --json) for every case', async () => {
    const cli = join(REPO_ROOT, 'typescript/src/cli/main.ts');
    const tsx = join(REPO_ROOT, 'typescript/node_modules/.bin/tsx');
    const dataDir = join(freshAppDirectory(), 'pglite');
    for (const { name, url, password } of CASES) {
      for (const format of [[], ['--json']]) {
        const output = await promisify(execFile)(tsx, [cli, 'db', 'status', ...format, '--data-dir', dataDir], {
          env: { ...process.env, TIMESTEP_DB_URL: url },
        });
        assertNoSecret([output.stdout, output.stderr], password, `${name} ${format.join(' ')}`);
        if (format.length > 0) assert.match(JSON.parse(output.stdout).databaseUrl, /\*\*\*/, name);
        else assert.match(output.stdout, /TIMESTEP_DB_URL is set/, name);
      }
    }
  });

  test('a connection string that is not a valid URL says so', async () => {
    const { personalAssistant } = referenceAgents();
    const store = new RunStateStore({ agent: personalAssistant, connectionString: CASES[0].url });
    try {
      const error = await store.history().catch((e: unknown) => e);
      assert.ok(error instanceof TimestepError);
      assert.match((error as Error).message, /percent-encode|not a valid/i);
    } finally {
      await store.close();
    }
  });
});
