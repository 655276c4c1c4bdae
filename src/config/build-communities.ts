/**
 * Community objects -> the alias table advertisements resolve names against. A duplicate alias
 * name is an error (MetalLB's Community CRD); the first definition is the one kept.
 */
import type { CommunityResource } from './resources.js';
import { parseCommunity } from './community.js';
import type { ParsedCommunity } from './community.js';
import type { Issues } from './issues.js';

/** Every valid alias of `resources`, by name. */
export function buildCommunityAliases(issues: Issues, resources: readonly CommunityResource[]): ReadonlyMap<string, ParsedCommunity> {
  const aliases = new Map<string, ParsedCommunity>();
  for (const c of resources) {
    for (const alias of c.aliases) {
      const parsed = parseCommunity(alias.value);
      if (!parsed.ok) issues.errorAtPath(c.source, alias.path, 'communityInvalid', 'not a community (a:b or large:a:b:c)', alias.value);
      if (aliases.has(alias.name)) {
        issues.errorAtPath(c.source, alias.path.slice(0, -1), 'duplicateCommunityAlias', `duplicate definition of community alias "${alias.name}"`, alias.name);
      } else if (parsed.ok) aliases.set(alias.name, parsed.community);
    }
  }
  return aliases;
}
