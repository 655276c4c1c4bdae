/**
 * The stable rule identifiers of configuration issues, and the collector `buildConfig` and its
 * per-resource builders report into. An issue names the object, the field (in the spelling the user
 * wrote: CRD or legacy ConfigMap) and, when known, the file and line.
 */
import type { ConfigIssue } from './types.js';
import type { FieldPath, ResourceSource } from './resources.js';
import { issueAt, issueAtPath } from './resources.js';

/** Stable rule identifiers `buildConfig` and the decoders emit (tests assert these). */
export const RULES = [
  'yamlSyntax', 'invalidType', 'integerRange', 'unknownField', 'missingName', 'duplicateName', 'duplicateEntry',
  'duplicateSelector', 'labelSelectorInvalid', 'mixedNamespaces', 'l2AdvertisementUnsupported', 'layer2Unsupported',
  'layer2Advertisements', 'missingProtocol', 'unknownProtocol', 'bgpExtrasUnsupported', 'secretDataInvalid',
  'myAsnRequired', 'peerAsnRequired', 'peerAsnXorDynamicAsn', 'dynamicAsnInvalid', 'ebgpMultiHopOnIbgp',
  'peerAddressRequired', 'peerAddressAndInterface', 'peerAddressInvalid', 'sourceAddressInvalid', 'routerIdInvalid',
  'peerPortRange', 'durationSyntax', 'holdTimeRange', 'keepaliveRange', 'keepaliveExceedsHold', 'connectTimeRange',
  'passwordXorSecret', 'passwordSecretNotFound', 'passwordSecretType', 'passwordSecretKey', 'passwordLength', 'bfdProfileNotFound',
  'duplicatePeer', 'unsupportedField', 'deprecatedField', 'poolAddressesRequired', 'poolAddressInvalid',
  'poolRangeOrder', 'poolRangeFamilyMismatch', 'cidrOverlap', 'aggregationLengthRange', 'aggregationVsPrefix',
  'localPrefConflict', 'serviceSelectorsWithAggregation', 'communityInvalid', 'unknownCommunityAlias',
  'duplicateCommunity', 'duplicateCommunityAlias', 'duplicateAdvertisement', 'unknownPool', 'unknownPeer',
  'poolNotAdvertised', 'bfdRange', 'bfdEchoWithIpv6', 'unsupportedKind', 'settingNotApplied',
  // Reading manifests (src/sources/manifests) and converting (convert.ts):
  'notAnObject', 'listItemNotAnObject', 'readFailed', 'nameNotConvertible',
] as const;
export type RuleId = (typeof RULES)[number];

/** The issues found so far, in the order found (decoding's first). */
export class Issues {
  readonly list: ConfigIssue[];
  constructor(initial: readonly ConfigIssue[]) {
    this.list = [...initial];
  }
  error(source: ResourceSource, field: FieldPath, rule: RuleId, message: string, value?: unknown): void {
    const issue = issueAt('error', source, field, rule, message, value);
    // A field already reported with the wrong type is not reported again as missing or out of range.
    if (this.list.some((i) => i.rule === 'invalidType' && i.object === issue.object && i.path === issue.path)) return;
    this.list.push(issue);
  }
  warn(source: ResourceSource, field: FieldPath, rule: RuleId, message: string, value?: unknown): void {
    this.list.push(issueAt('warning', source, field, rule, message, value));
  }
  /** An issue about the object's name: `metadata.name`, or the legacy entry's `name`. */
  nameError(source: ResourceSource, rule: RuleId, message: string, value?: unknown): void {
    const path = source.legacy ? [...source.base, 'name'] : ['metadata', 'name'];
    this.list.push(issueAtPath('error', source, path, rule, message, value));
  }
  errorAtPath(source: ResourceSource, path: FieldPath, rule: RuleId, message: string, value?: unknown): void {
    this.list.push(issueAtPath('error', source, path, rule, message, value));
  }
  /** A mark to pass to `errorsSince`. */
  mark(): number {
    return this.list.length;
  }
  /** Whether an error was reported after `mark`. */
  errorsSince(mark: number): boolean {
    for (let i = mark; i < this.list.length; i++) if (this.list[i]?.severity === 'error') return true;
    return false;
  }
}
