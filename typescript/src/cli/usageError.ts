/** Bad command line (or arguments that cannot be carried out as given): `timestep runs` exits 2 with the usage. */
export class UsageError extends Error {}
