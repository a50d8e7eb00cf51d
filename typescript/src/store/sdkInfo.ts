import { RunState } from '@openai/agents';
import { UnsupportedSdkVersionError } from '../errors.js';
import { installedPackage } from './installedPackage.js';

/** Name of the SDK whose native state this package writes. */
export const SDK_NAME = '@openai/agents';

/** The lowest supported SDK version, and the first one that is not supported. */
const LOWEST_SUPPORTED = '0.20.0';
const FIRST_UNSUPPORTED = '0.21.0';

/**
 * The SDK versions this package supports, as an npm range: exactly its
 * peerDependencies entry (scripts/sdk-range.sh installs both ends and checks
 * one version outside). The native state format changes between minor versions.
 */
export const SUPPORTED_SDK_VERSIONS = `>=${LOWEST_SUPPORTED} <${FIRST_UNSUPPORTED}`;

/**
 * The copy of the SDK this package uses. RunState lives in @openai/agents-core,
 * resolved from @openai/agents's own location, as that package imports it.
 */
const sdkCore = installedPackage('@openai/agents-core', installedPackage(SDK_NAME).entry);

/** The installed SDK version, recorded with every saved version. */
export const SDK_VERSION = sdkCore.version;

function versionNumbers(version: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function compareVersions(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Throws `UnsupportedSdkVersionError` unless `version` is in `SUPPORTED_SDK_VERSIONS`. */
export function requireSupportedSdkVersion(version: string): void {
  const numbers = versionNumbers(version);
  const supported =
    numbers !== undefined &&
    compareVersions(numbers, versionNumbers(LOWEST_SUPPORTED)!) >= 0 &&
    compareVersions(numbers, versionNumbers(FIRST_UNSUPPORTED)!) < 0;
  if (supported) return;
  throw new UnsupportedSdkVersionError(
    `Timestep supports ${SDK_NAME} ${SUPPORTED_SDK_VERSIONS}, but version ${version} is installed (${sdkCore.dir}). ` +
      `Install a supported version: npm install ${SDK_NAME}@"${SUPPORTED_SDK_VERSIONS}".`,
    SDK_NAME,
    version,
    SUPPORTED_SDK_VERSIONS,
  );
}

// Checked once, when the package is loaded: an unsupported SDK would fail later
// with errors that do not name the cause.
requireSupportedSdkVersion(SDK_VERSION);

/**
 * The error for a run state made by another copy of the SDK than the one this
 * package uses (instanceof fails across copies), or undefined when `value` is
 * not one. A second copy is installed when the app depends on an SDK version
 * outside the supported range.
 */
export function anotherSdkCopyError(value: unknown): UnsupportedSdkVersionError | undefined {
  if (typeof value !== 'object' || value === null || value instanceof RunState) return undefined;
  const candidate = value as { constructor?: { name?: string }; toJSON?: unknown; toString?: unknown };
  if (candidate.constructor?.name !== 'RunState' || typeof candidate.toJSON !== 'function') return undefined;
  return new UnsupportedSdkVersionError(
    `This RunState comes from a second copy of ${SDK_NAME}; Timestep uses version ${SDK_VERSION} (${sdkCore.dir}). ` +
      `Two copies are installed when your app depends on a version outside ${SUPPORTED_SDK_VERSIONS}: ` +
      `install a supported version (npm install ${SDK_NAME}@"${SUPPORTED_SDK_VERSIONS}") so that one copy remains ` +
      `(npm ls @openai/agents-core lists the copies).`,
    SDK_NAME,
    SDK_VERSION,
    SUPPORTED_SDK_VERSIONS,
  );
}
