/**
 * Label and field selectors as the API server parses them from `labelSelector` and `fieldSelector`
 * (k8s.io/apimachinery/pkg/labels and pkg/fields): `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, `a>1`, `a<1` for labels; `f=v`, `f==v`, `f!=v` for fields. A malformed
 * selector is a 400 BadRequest, as on the real server.
 */
import { badRequest } from './errors.js';

/** One requirement of a label selector. */
type LabelRequirement =
  | { readonly op: 'eq' | 'neq'; readonly key: string; readonly value: string }
  | { readonly op: 'in' | 'notin'; readonly key: string; readonly values: readonly string[] }
  | { readonly op: 'exists' | 'notexists'; readonly key: string }
  | { readonly op: 'gt' | 'lt'; readonly key: string; readonly value: number };

/** A parsed label selector: every requirement must hold. */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, whole: string): string {
  if (!LABEL_KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${whole}"`);
  return key;
}

function checkValue(v: string, whole: string): string {
  if (v.length > 63 || !LABEL_VALUE.test(v)) throw badRequest(`unable to parse requirement: invalid label value: "${v}" in selector "${whole}"`);
  return v;
}

/** Parses a `labelSelector` query value. The empty string selects everything. */
export function parseLabelSelector(text: string): LabelSelector {
  const requirements: LabelRequirement[] = [];
  if (text.trim() === '') return { requirements };
  for (const raw of splitTerms(text)) {
    const term = raw.trim();
    if (term === '') throw badRequest(`unable to parse requirement: found '', expected: identifier in selector "${text}"`);
    let m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
    if (m) {
      const values = (m[3] ?? '').split(',').map((v) => checkValue(v.trim(), text));
      requirements.push({ op: m[2] === 'in' ? 'in' : 'notin', key: checkKey(m[1] ?? '', text), values });
      continue;
    }
    m = /^!\s*(\S+)$/.exec(term);
    if (m) {
      requirements.push({ op: 'notexists', key: checkKey(m[1] ?? '', text) });
      continue;
    }
    m = /^([^=!<>\s]+)\s*(==|=|!=|<|>)\s*(\S*)$/.exec(term);
    if (m) {
      const key = checkKey(m[1] ?? '', text);
      const value = m[3] ?? '';
      if (m[2] === '<' || m[2] === '>') {
        const n = Number(value);
        if (!/^-?\d+$/.test(value)) throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer in selector "${text}"`);
        requirements.push({ op: m[2] === '<' ? 'lt' : 'gt', key, value: n });
      } else {
        requirements.push({ op: m[2] === '!=' ? 'neq' : 'eq', key, value: checkValue(value, text) });
      }
      continue;
    }
    if (/^\S+$/.test(term)) {
      requirements.push({ op: 'exists', key: checkKey(term, text) });
      continue;
    }
    throw badRequest(`unable to parse requirement: invalid selector "${text}"`);
  }
  return { requirements };
}

/** Whether the labels satisfy the selector (labels.Selector.Matches). */
export function matchesLabels(sel: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const r of sel.requirements) {
    const v = labels?.[r.key];
    switch (r.op) {
      case 'eq':
        if (v !== r.value) return false;
        break;
      case 'neq':
        if (v === r.value) return false;
        break;
      case 'in':
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (v === undefined) return false;
        break;
      case 'notexists':
        if (v !== undefined) return false;
        break;
      case 'gt':
      case 'lt': {
        if (v === undefined || !/^-?\d+$/.test(v)) return false;
        const n = Number(v);
        if (r.op === 'gt' ? !(n > r.value) : !(n < r.value)) return false;
        break;
      }
      default: {
        const never: never = r;
        throw new Error(`unknown requirement ${String(never)}`);
      }
    }
  }
  return true;
}

/** One field requirement: `spec.type=LoadBalancer` or `metadata.name!=x`. */
export interface FieldRequirement {
  readonly field: string;
  readonly op: 'eq' | 'neq';
  readonly value: string;
}

/** A parsed field selector. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
}

/**
 * Parses a `fieldSelector`, refusing a field the resource does not support with the real server's
 * message (`field label not supported: x`).
 */
export function parseFieldSelector(text: string, supported: ReadonlySet<string>): FieldSelector {
  const requirements: FieldRequirement[] = [];
  if (text.trim() === '') return { requirements };
  for (const raw of text.split(',')) {
    const term = raw.trim();
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = m[1] ?? '';
    if (!supported.has(field)) throw badRequest(`field label not supported: ${field}`);
    requirements.push({ field, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3] ?? '' });
  }
  return { requirements };
}

/** Whether an object's selectable fields (as strings) satisfy the selector. */
export function matchesFields(sel: FieldSelector, fieldOf: (field: string) => string): boolean {
  for (const r of sel.requirements) {
    const v = fieldOf(r.field);
    if (r.op === 'eq' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
