import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnsupportedSdkVersionError } from '../../src/index.js';
import { SDK_VERSION, SUPPORTED_SDK_VERSIONS, requireSupportedSdkVersion } from '../../src/store/sdkInfo.js';
import { REPO_ROOT } from '../support/environment.js';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'typescript/package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

test('the supported range is the peer dependency range, and the pinned test version is inside it', () => {
  assert.equal(manifest.peerDependencies['@openai/agents'], SUPPORTED_SDK_VERSIONS);
  assert.equal(SDK_VERSION, manifest.devDependencies['@openai/agents']);
  requireSupportedSdkVersion(SDK_VERSION);
});

test('versions inside the range are accepted', () => {
  for (const version of ['0.20.0', '0.20.1', '0.20.12']) requireSupportedSdkVersion(version);
});

test('a version outside the range is a typed error naming the found and supported versions and the fix', () => {
  for (const version of ['0.19.0', '0.19.9', '0.21.0', '0.21.0-beta.1', '1.0.0', 'not-a-version']) {
    assert.throws(
      () => requireSupportedSdkVersion(version),
      (error: unknown) => {
        assert.ok(error instanceof UnsupportedSdkVersionError, `${version}: ${String(error)}`);
        assert.equal(error.sdkName, '@openai/agents');
        assert.equal(error.installedVersion, version);
        assert.equal(error.supportedVersions, '>=0.20.0 <0.21.0');
        assert.match(error.message, new RegExp(`version ${version.replace(/\./g, '\\.')} is installed`));
        assert.match(error.message, /npm install @openai\/agents@">=0\.20\.0 <0\.21\.0"/);
        return true;
      },
    );
  }
});
