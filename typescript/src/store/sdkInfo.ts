import { installedPackageVersion } from './installedPackage.js';

/** Name and installed version of the SDK whose native state this package writes. */
export const SDK_NAME = '@openai/agents';

export const SDK_VERSION = installedPackageVersion('@openai/agents-core');
