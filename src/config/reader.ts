/**
 * Typed, forgiving reads from plain decoded YAML/JSON: every read either yields a value of the right
 * type or records an `invalidType` issue at the exact path and yields `undefined`. Used by both
 * decoders; never throws.
 */
import type { LabelSelector, LabelSelectorRequirement } from '../model/kubernetes.js';
import type { ConfigIssue } from './types.js';
import { issueAtPath } from './resources.js';
import type { FieldPath, ResourceSource } from './resources.js';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

const YAML11_TRUE = ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'];
const YAML11_FALSE = ['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'];

/** A boolean as Kubernetes' YAML 1.1 reader sees it (`true`, `yes`, `on`, ...), else undefined. */
export function yamlBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && YAML11_TRUE.includes(v)) return true;
  if (typeof v === 'string' && YAML11_FALSE.includes(v)) return false;
  return undefined;
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

// Kubernetes label syntax (apimachinery validation.IsQualifiedName / IsValidLabelValue).
const NAME_PART = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Whether `key` is a valid label key (`[prefix/]name`). */
export function isValidLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash === -1) return NAME_PART.test(key);
  const prefix = key.slice(0, slash);
  const name = key.slice(slash + 1);
  return prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix) && NAME_PART.test(name);
}

/** Whether `value` is a valid label value (empty, or up to 63 characters of the label alphabet). */
export function isValidLabelValue(value: string): boolean {
  return value === '' || NAME_PART.test(value);
}

/**
 * Reads fields of one record, reporting problems against `source`. `legacy` makes string fields accept
 * any scalar (yaml.v2 decodes `password: 1234` into a string), as MetalLB's legacy parser did.
 */
export class Reader {
  constructor(
    readonly source: ResourceSource,
    readonly issues: ConfigIssue[],
    readonly legacy: boolean,
  ) {}

  error(path: FieldPath, rule: string, message: string, value?: unknown): void {
    this.issues.push(issueAtPath('error', this.source, path, rule, message, value));
  }

  warn(path: FieldPath, rule: string, message: string, value?: unknown): void {
    this.issues.push(issueAtPath('warning', this.source, path, rule, message, value));
  }

  private typeError(path: FieldPath, want: string, value: unknown): void {
    this.error(path, 'invalidType', `must be ${want}, not ${typeName(value)}`, value);
  }

  /** Reports keys of `obj` not in `known` (strict decoding, as MetalLB's legacy parser and kubectl do). */
  known(obj: Record<string, unknown>, path: FieldPath, known: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) this.error([...path, key], 'unknownField', `unknown field "${key}"`, key);
    }
  }

  record(obj: Record<string, unknown>, key: string, path: FieldPath): Record<string, unknown> | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) {
      this.typeError([...path, key], 'an object', v);
      return undefined;
    }
    return v;
  }

  string(obj: Record<string, unknown>, key: string, path: FieldPath): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (this.legacy && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
    this.typeError([...path, key], 'a string', v);
    return undefined;
  }

  /** Reads a non-negative integer no greater than `max` (type range; semantic ranges are checked later). */
  uint(obj: Record<string, unknown>, key: string, path: FieldPath, max: number): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.typeError([...path, key], 'an integer', v);
      return undefined;
    }
    if (v < 0 || v > max) {
      this.error([...path, key], 'integerRange', `must be an integer from 0 to ${max}`, v);
      return undefined;
    }
    return v;
  }

  /** Reads a signed integer within int32 or the given bounds. */
  int(obj: Record<string, unknown>, key: string, path: FieldPath, min = -2147483648, max = 2147483647): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.typeError([...path, key], 'an integer', v);
      return undefined;
    }
    if (v < min || v > max) {
      this.error([...path, key], 'integerRange', `must be an integer from ${min} to ${max}`, v);
      return undefined;
    }
    return v;
  }

  bool(obj: Record<string, unknown>, key: string, path: FieldPath): boolean | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    // Kubernetes reads YAML with go-yaml v2 (YAML 1.1), where yes/no/on/off/y/n are booleans; we parse
    // YAML 1.2, where they are strings, so accept them here.
    if (typeof v === 'string' && YAML11_TRUE.includes(v)) return true;
    if (typeof v === 'string' && YAML11_FALSE.includes(v)) return false;
    if (typeof v !== 'boolean') {
      this.typeError([...path, key], 'true or false', v);
      return undefined;
    }
    return v;
  }

  stringList(obj: Record<string, unknown>, key: string, path: FieldPath): string[] {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.typeError([...path, key], 'a list of strings', v);
      return [];
    }
    const out: string[] = [];
    v.forEach((item: unknown, i) => {
      if (typeof item === 'string') out.push(item);
      else if (this.legacy && (typeof item === 'number' || typeof item === 'boolean')) out.push(String(item));
      else this.typeError([...path, key, i], 'a string', item);
    });
    return out;
  }

  stringMap(obj: Record<string, unknown>, key: string, path: FieldPath): Record<string, string> | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) {
      this.typeError([...path, key], 'a map of strings', v);
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const [k, item] of Object.entries(v)) {
      if (typeof item === 'string') out[k] = item;
      else if (this.legacy && (typeof item === 'number' || typeof item === 'boolean')) out[k] = String(item);
      else this.typeError([...path, key, k], 'a string', item);
    }
    return out;
  }

  /** A list of objects; each item is handed to `each` with its path. */
  list(obj: Record<string, unknown>, key: string, path: FieldPath): { item: Record<string, unknown>; path: FieldPath }[] {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.typeError([...path, key], 'a list', v);
      return [];
    }
    const out: { item: Record<string, unknown>; path: FieldPath }[] = [];
    v.forEach((item: unknown, i) => {
      if (isRecord(item)) out.push({ item, path: [...path, key, i] });
      else this.typeError([...path, key, i], 'an object', item);
    });
    return out;
  }

  /**
   * A list of label selectors (metav1.LabelSelector; in legacy keys `match-labels` and
   * `match-expressions`). Checks operators, values and label syntax as LabelSelectorAsSelector does.
   */
  selectors(obj: Record<string, unknown>, key: string, path: FieldPath): LabelSelector[] {
    const labelsKey = this.legacy ? 'match-labels' : 'matchLabels';
    const exprKey = this.legacy ? 'match-expressions' : 'matchExpressions';
    const out: LabelSelector[] = [];
    for (const { item, path: p } of this.list(obj, key, path)) {
      this.known(item, p, [labelsKey, exprKey]);
      const matchLabels = this.stringMap(item, labelsKey, p);
      for (const [k, v] of Object.entries(matchLabels ?? {})) {
        if (!isValidLabelKey(k)) this.error([...p, labelsKey, k], 'labelSelectorInvalid', 'invalid label key', k);
        if (!isValidLabelValue(v)) this.error([...p, labelsKey, k], 'labelSelectorInvalid', 'invalid label value', v);
      }
      const exprs: LabelSelectorRequirement[] = [];
      for (const { item: e, path: ep } of this.list(item, exprKey, p)) {
        this.known(e, ep, ['key', 'operator', 'values']);
        const k = this.string(e, 'key', ep);
        const op = this.string(e, 'operator', ep);
        const values = this.stringList(e, 'values', ep);
        let ok = true;
        if (k === undefined || !isValidLabelKey(k)) {
          this.error([...ep, 'key'], 'labelSelectorInvalid', 'invalid label key', k ?? '');
          ok = false;
        }
        const operator = OPERATORS.find((o) => o === op);
        if (operator === undefined) {
          this.error([...ep, 'operator'], 'labelSelectorInvalid', `operator must be one of ${OPERATORS.join(', ')}`, op ?? '');
          ok = false;
        } else if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
          this.error([...ep, 'values'], 'labelSelectorInvalid', `operator ${operator} needs at least one value`);
          ok = false;
        } else if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
          this.error([...ep, 'values'], 'labelSelectorInvalid', `operator ${operator} takes no values`);
          ok = false;
        }
        values.forEach((v, i) => {
          if (!isValidLabelValue(v)) {
            this.error([...ep, 'values', i], 'labelSelectorInvalid', 'invalid label value', v);
            ok = false;
          }
          if (values.indexOf(v) !== i) this.error([...ep, 'values', i], 'duplicateEntry', 'duplicate value in a match expression', v);
        });
        if (ok && k !== undefined && operator !== undefined) {
          exprs.push(values.length > 0 ? { key: k, operator, values } : { key: k, operator });
        }
      }
      out.push({
        ...(matchLabels && Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
        ...(exprs.length > 0 ? { matchExpressions: exprs } : {}),
      });
    }
    return out;
  }
}
