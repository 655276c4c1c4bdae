/**
 * The API server's error responses: `Status` objects (apiVersion v1, kind Status) with the HTTP code,
 * `reason`, `message` and `details` the real kube-apiserver puts in them
 * (k8s.io/apimachinery/pkg/api/errors). Handlers throw an `ApiError`; the server writes its status.
 */

/** One cause of an `Invalid` status, as `metav1.StatusCause`. */
export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

/** The kind of a field error, named as field.ErrorType is (k8s.io/apimachinery/pkg/util/validation/field). */
export type FieldErrorType = 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueTypeInvalid' | 'FieldValueForbidden' | 'FieldValueDuplicate' | 'FieldValueTooLong' | 'FieldValueTooMany';

/** A field error: the field path (`spec.ports[0].port`), its type and the message without the path. */
export interface FieldError {
  readonly field: string;
  readonly type: FieldErrorType;
  /** The detail, already formatted as field.Error.ErrorBody does (`Required value`, `Invalid value: 3: must be ...`). */
  readonly detail: string;
}

/** What a resource is, for error messages: `services` in group ``, kind `Service`. */
export interface ErrorTarget {
  readonly group: string;
  readonly plural: string;
  readonly kind: string;
}

/** A `Status` object with its HTTP code, thrown by handlers and written by the server. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The JSON body the real server sends. */
  toStatus(): Record<string, unknown> {
    const status: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
    };
    if (this.details !== undefined) status['details'] = this.details;
    status['code'] = this.code;
    return status;
  }
}

/** `services "x"` or `ipaddresspools.metallb.io "x"`: how errors.NewNotFound names an object. */
function qualified(t: ErrorTarget): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}

function details(t: ErrorTarget, name: string): Record<string, unknown> {
  const d: Record<string, unknown> = { name };
  if (t.group !== '') d['group'] = t.group;
  d['kind'] = t.plural;
  return d;
}

/** 404: `services "x" not found`. */
export function notFound(t: ErrorTarget, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(t)} "${name}" not found`, details(t, name));
}

/** 404 for a path that names no resource. */
export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 409: `services "x" already exists`. */
export function alreadyExists(t: ErrorTarget, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(t)} "${name}" already exists`, details(t, name));
}

/** 409 Conflict on a stale resourceVersion (errors.NewConflict with the registry's message). */
export function conflict(t: ErrorTarget, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(t, name),
  );
}

/** 400 BadRequest. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** 405 MethodNotAllowed. */
export function methodNotSupported(t: ErrorTarget, verb: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualified(t)}"`, { group: t.group, kind: t.plural });
}

/** 415 UnsupportedMediaType. */
export function unsupportedMediaType(message: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', message);
}

/** 410 Gone with reason Expired, as a watch or a continue token past the history window gets. */
export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

/** 422 Invalid: `Service "x" is invalid: spec.ports: Required value` (errors.NewInvalid). */
export function invalid(t: ErrorTarget, name: string, errors: readonly FieldError[]): ApiError {
  const lines = errors.map((e) => `${e.field}: ${e.detail}`);
  const summary = lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`;
  const kindName = t.group === '' ? t.kind : `${t.kind}.${t.group}`;
  const causes: StatusCause[] = errors.map((e) => ({ reason: e.type, message: e.detail, field: e.field }));
  const d: Record<string, unknown> = { name };
  if (t.group !== '') d['group'] = t.group;
  d['kind'] = t.kind;
  d['causes'] = causes;
  return new ApiError(422, 'Invalid', `${kindName} "${name}" is invalid: ${summary}`, d);
}

/** Formats a value as field.Error does in `Invalid value: <v>` (strings quoted, others as JSON). */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') return Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}';
  return String(v);
}

/** `Required value`. */
export function required(field: string, detail = ''): FieldError {
  return { field, type: 'FieldValueRequired', detail: detail === '' ? 'Required value' : `Required value: ${detail}` };
}

/** `Invalid value: "x": why`. */
export function invalidValue(field: string, value: unknown, why: string): FieldError {
  return { field, type: 'FieldValueInvalid', detail: `Invalid value: ${showValue(value)}: ${why}` };
}

/** `Unsupported value: "x": supported values: "a", "b"`. */
export function notSupported(field: string, value: unknown, supported: readonly unknown[]): FieldError {
  const list = supported.map((s) => showValue(s)).join(', ');
  return { field, type: 'FieldValueNotSupported', detail: `Unsupported value: ${showValue(value)}: supported values: ${list}` };
}

/** `Forbidden: why`. */
export function forbidden(field: string, why: string): FieldError {
  return { field, type: 'FieldValueForbidden', detail: `Forbidden: ${why}` };
}
