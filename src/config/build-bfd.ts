/**
 * BFD profiles -> `BfdProfileConfig`, with FRR's defaults and MetalLB's ranges (BFDProfile CRD).
 * The first of two profiles with one name is kept; the second is reported.
 */
import type { BfdProfileConfig } from './types.js';
import type { BfdProfileResource } from './resources.js';
import { CONFIG_DEFAULTS } from './defaults.js';
import type { Issues } from './issues.js';

type BfdField = keyof typeof CONFIG_DEFAULTS.bfd;

/** MetalLB's range of each numeric BFD field (`api/v1beta1/bfdprofile_types.go`). */
const BFD_RANGES: readonly (readonly [BfdField, number, number])[] = [
  ['detectMultiplier', 2, 255],
  ['receiveInterval', 10, 60000],
  ['transmitInterval', 10, 60000],
  ['minimumTtl', 1, 254],
  ['echoInterval', 10, 60000],
];

/** The BFD profiles, in order, and by name. */
export interface BuiltBfdProfiles {
  readonly list: readonly BfdProfileConfig[];
  readonly byName: ReadonlyMap<string, BfdProfileConfig>;
}

/** Checks and defaults every BFD profile of `resources`. */
export function buildBfdProfiles(issues: Issues, resources: readonly BfdProfileResource[]): BuiltBfdProfiles {
  const list: BfdProfileConfig[] = [];
  const byName = new Map<string, BfdProfileConfig>();
  for (const b of resources) {
    if (b.name === '') {
      issues.nameError(b.source, 'missingName', 'BFD profile has no name');
      continue;
    }
    if (byName.has(b.name)) issues.nameError(b.source, 'duplicateName', `duplicate BFD profile name "${b.name}"`, b.name);
    const values: Record<BfdField, number> = { ...CONFIG_DEFAULTS.bfd };
    for (const [field, min, max] of BFD_RANGES) {
      const v = b[field];
      if (v === undefined) continue;
      if (v < min || v > max) issues.error(b.source, [field], 'bfdRange', `must be from ${min} to ${max}`, v);
      values[field] = v;
    }
    const profile: BfdProfileConfig = { name: b.name, ...values, echoMode: b.echoMode ?? false, passiveMode: b.passiveMode ?? false };
    if (!byName.has(b.name)) {
      byName.set(b.name, profile);
      list.push(profile);
    }
  }
  return { list, byName };
}
