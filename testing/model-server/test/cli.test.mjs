// The CLI as the Python tests and the demo use it: spawn, read one JSON line,
// talk to the url, then stop it by closing stdin or by a signal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { echoScenarioPath, postJson, serverPath } from './helpers.mjs';

/** @param {string[]} args */
function startCli(args) {
  const child = spawn(process.execPath, [serverPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit');
  const firstLine = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('exit', () => reject(new Error(`CLI exited before printing its url: ${stderr}`)));
  });
  firstLine.catch(() => {}); // tests that expect an early exit never await it
  return { child, firstLine, exited, stderr: () => stderr };
}

test('prints exactly one url line, serves, and exits when stdin closes', async () => {
  const cli = startCli(['--scenario', echoScenarioPath, '--delay-ms', '1']);
  const line = await cli.firstLine;
  assert.match(line, /^\{"url":"http:\/\/127\.0\.0\.1:\d+"\}$/);
  const { url } = JSON.parse(line);
  const { status, text } = await postJson(`${url}/v1/chat/completions`, {
    model: 'm',
    messages: [{ role: 'user', content: 'ping' }],
  });
  assert.equal(status, 200);
  assert.equal(JSON.parse(text).choices[0].message.content, 'echo: ping');

  cli.child.stdin.end(); // what happens when the parent process dies
  const [code] = await cli.exited;
  assert.equal(code, 0);
});

test('exits on SIGTERM', async () => {
  const cli = startCli(['--scenario', echoScenarioPath, '--host', '127.0.0.1']);
  await cli.firstLine;
  cli.child.kill('SIGTERM');
  const [code] = await cli.exited;
  assert.equal(code, 0);
});

test('bad arguments exit with status 2 and a usage line', async () => {
  const cli = startCli(['--port', '1234']);
  const [code] = await cli.exited;
  assert.equal(code, 2);
  assert.match(cli.stderr(), /--scenario <path> is required/);
  assert.match(cli.stderr(), /usage: /);
});

test('an invalid scenario file fails at startup', async () => {
  const cli = startCli(['--scenario', serverPath]);
  const [code] = await cli.exited;
  assert.equal(code, 1);
  assert.match(cli.stderr(), /is not valid JSON/);
});
