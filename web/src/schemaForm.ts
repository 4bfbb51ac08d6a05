// The values of a form built from a JSON Schema, as pure functions: which
// control a schema gets, what it starts with, and how what the user typed
// becomes the JSON value sent (numbers parsed and checked against their
// bounds, enums mapped back to their values, required fields enforced).
// SchemaFields.vue renders the controls; InputForm (input requests) and
// TaskMonitor (start forms, from a kind's params_schema) both use it.
import { isRecord, type JsonSchema } from './protocol'

/** The control a schema gets: a select, a checkbox, a number or text
 * field, or a JSON text area for anything else (objects, arrays, no type). */
export type FieldType = 'enum' | 'boolean' | 'integer' | 'number' | 'string' | 'json'

/** What a control holds: the text typed or chosen, or a checkbox's state. */
export type FieldValue = string | boolean

/** The values of an object schema's fields, by property name. */
export type FieldValues = Record<string, FieldValue>

export type Coerced<T> = { ok: true; value: T } | { ok: false; error: string }

/** The schema's type, ignoring "null" in a type list. */
export function primaryType(s: JsonSchema): string | undefined {
  return Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type
}

export function fieldType(s: JsonSchema): FieldType {
  if (Array.isArray(s.enum) && s.enum.length > 0) return 'enum'
  const t = primaryType(s)
  if (t === 'boolean' || t === 'integer' || t === 'number' || t === 'string') return t
  return 'json'
}

/** An object schema's properties, in order. */
export function schemaProperties(schema: JsonSchema): [string, JsonSchema][] {
  return isRecord(schema.properties) ? Object.entries(schema.properties) : []
}

export function isRequired(schema: JsonSchema, name: string): boolean {
  return Array.isArray(schema.required) && schema.required.includes(name)
}

/** What a control starts with: the schema's default, else empty. */
export function initialValue(s: JsonSchema): FieldValue {
  const type = fieldType(s)
  if (type === 'boolean') return s.default === true
  if (s.default === undefined) return ''
  if (type === 'json') return JSON.stringify(s.default)
  if (type === 'enum') return enumOptionValue(s.default)
  return String(s.default)
}

/** The starting values of every property of an object schema. */
export function initialValues(schema: JsonSchema): FieldValues {
  const out: FieldValues = {}
  for (const [name, s] of schemaProperties(schema)) out[name] = initialValue(s)
  return out
}

function numberKeyword(s: JsonSchema, key: string): number | undefined {
  const v = s[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

/** The bounds of a number or string as words, e.g. "0 to 1000", "at least 1"; '' when none. */
export function boundsText(s: JsonSchema): string {
  const type = fieldType(s)
  if (type === 'integer' || type === 'number') {
    const min = numberKeyword(s, 'minimum')
    const max = numberKeyword(s, 'maximum')
    const xmin = numberKeyword(s, 'exclusiveMinimum')
    const xmax = numberKeyword(s, 'exclusiveMaximum')
    const parts: string[] = []
    if (min !== undefined && max !== undefined) parts.push(`${min} to ${max}`)
    else if (min !== undefined) parts.push(`at least ${min}`)
    else if (max !== undefined) parts.push(`at most ${max}`)
    if (xmin !== undefined) parts.push(`over ${xmin}`)
    if (xmax !== undefined) parts.push(`under ${xmax}`)
    return parts.join(', ')
  }
  if (type === 'string') {
    const min = numberKeyword(s, 'minLength')
    const max = numberKeyword(s, 'maxLength')
    if (min !== undefined && max !== undefined) return `${min} to ${max} characters`
    if (min !== undefined) return `at least ${min} characters`
    if (max !== undefined) return `at most ${max} characters`
  }
  return ''
}

/** The help shown under a field: its description, then its bounds. */
export function helpText(s: JsonSchema): string {
  const description = typeof s.description === 'string' ? s.description.trim() : ''
  const bounds = boundsText(s)
  if (description && bounds) return `${description} (${bounds})`
  return description || bounds
}

/** True when nothing was entered: a checkbox never is blank, text is when empty
 * (numbers and JSON also when only blanks). */
export function isBlank(s: JsonSchema, raw: FieldValue): boolean {
  if (typeof raw === 'boolean') return false
  const type = fieldType(s)
  if (type === 'string') return raw === ''
  if (type === 'enum') return raw === '' && !(s.enum ?? []).some((v) => v === '')
  return raw.trim() === ''
}

function checkNumber(s: JsonSchema, n: number): string | null {
  const min = numberKeyword(s, 'minimum')
  const max = numberKeyword(s, 'maximum')
  const xmin = numberKeyword(s, 'exclusiveMinimum')
  const xmax = numberKeyword(s, 'exclusiveMaximum')
  if (min !== undefined && n < min) return `must be at least ${min}`
  if (max !== undefined && n > max) return `must be at most ${max}`
  if (xmin !== undefined && n <= xmin) return `must be over ${xmin}`
  if (xmax !== undefined && n >= xmax) return `must be under ${xmax}`
  return null
}

/** The JSON value of one field that is not blank, or why it is not valid. */
export function coerceValue(s: JsonSchema, raw: FieldValue): Coerced<unknown> {
  const type = fieldType(s)
  if (type === 'boolean') return { ok: true, value: raw === true || raw === 'true' }
  const text = String(raw)
  switch (type) {
    case 'integer':
    case 'number': {
      const n = Number(text.trim())
      if (text.trim() === '' || !Number.isFinite(n)) return { ok: false, error: 'must be a number' }
      if (type === 'integer' && !Number.isInteger(n)) return { ok: false, error: 'must be a whole number' }
      const bad = checkNumber(s, n)
      return bad ? { ok: false, error: bad } : { ok: true, value: n }
    }
    case 'enum': {
      const values = s.enum ?? []
      const i = values.findIndex((v) => enumOptionValue(v) === text)
      if (i < 0) return { ok: false, error: `must be one of ${values.map(enumOptionValue).join(', ')}` }
      return { ok: true, value: values[i] }
    }
    case 'string': {
      const length = [...text].length
      const min = numberKeyword(s, 'minLength')
      const max = numberKeyword(s, 'maxLength')
      if (min !== undefined && length < min) return { ok: false, error: `must be at least ${min} characters` }
      if (max !== undefined && length > max) return { ok: false, error: `must be at most ${max} characters` }
      return { ok: true, value: text }
    }
    default: {
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        return { ok: false, error: 'must be valid JSON' }
      }
      const t = primaryType(s)
      if (t === 'object' && !isRecord(value)) return { ok: false, error: 'must be a JSON object' }
      if (t === 'array' && !Array.isArray(value)) return { ok: false, error: 'must be a JSON array' }
      return { ok: true, value }
    }
  }
}

/** How an enum value is written in a select's option (and read back by coerceValue). */
export function enumOptionValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v)
}

export interface CollectOptions {
  /** Leave out an optional checkbox that is not ticked and has no default:
   * a checkbox cannot be empty, so "unticked" stands for "not set" (tool
   * arguments, where the tool's own default then applies). */
  omitUnsetBooleans?: boolean
}

function isUnsetBoolean(schema: JsonSchema, name: string, s: JsonSchema): boolean {
  return fieldType(s) === 'boolean' && s.default === undefined && !isRequired(schema, name)
}

/** The object an object schema's form describes: every field that is not
 * blank, coerced; or, by property name, why a field is not valid (a blank
 * required field included). A field missing from `values` counts as its
 * initial value. */
export function collectValues(
  schema: JsonSchema,
  values: FieldValues,
  options: CollectOptions = {},
): { ok: true; value: Record<string, unknown> } | { ok: false; errors: Record<string, string> } {
  const out: Record<string, unknown> = {}
  const errors: Record<string, string> = {}
  for (const [name, s] of schemaProperties(schema)) {
    const raw = values[name] ?? initialValue(s)
    if (options.omitUnsetBooleans && raw === false && isUnsetBoolean(schema, name, s)) continue
    if (isBlank(s, raw)) {
      if (isRequired(schema, name)) errors[name] = 'is required'
      continue
    }
    const r = coerceValue(s, raw)
    if (r.ok) out[name] = r.value
    else errors[name] = r.error
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value: out }
}

/** The text a control shows for a JSON value, or null when the control
 * cannot hold it (a number in a text field, a value outside the enum). */
export function fieldValueOf(s: JsonSchema, v: unknown): FieldValue | null {
  switch (fieldType(s)) {
    case 'boolean':
      return typeof v === 'boolean' ? v : null
    case 'integer':
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? String(v) : null
    case 'string':
      return typeof v === 'string' ? v : null
    case 'enum': {
      const text = enumOptionValue(v)
      return (s.enum ?? []).some((e) => enumOptionValue(e) === text) ? text : null
    }
    default:
      return v === undefined ? null : JSON.stringify(v)
  }
}

/** The form values of a JSON object (raw arguments typed as JSON), the
 * inverse of collectValues: a property it leaves out is a blank field (a
 * checkbox shows its default). Fails, naming the property, when one is not in the
 * schema or its value does not fit its control, so that switching from JSON
 * to the form never drops or changes what was typed. */
export function valuesFromObject(
  schema: JsonSchema,
  obj: unknown,
): { ok: true; values: FieldValues } | { ok: false; error: string } {
  if (!isRecord(obj)) return { ok: false, error: 'the arguments must be a JSON object' }
  const props = new Map(schemaProperties(schema))
  for (const name of Object.keys(obj)) {
    if (!props.has(name)) return { ok: false, error: `"${name}" is not a field of the form` }
  }
  const values: FieldValues = {}
  for (const [name, s] of props) {
    if (!(name in obj)) {
      // Left out means the default applies: a checkbox shows it.
      values[name] = fieldType(s) === 'boolean' ? s.default === true : ''
      continue
    }
    const v = fieldValueOf(s, obj[name])
    if (v === null) return { ok: false, error: `the value of "${name}" does not fit its field` }
    values[name] = v
  }
  return { ok: true, values }
}

/** What the form holds as a JSON object, whether or not it is valid: the
 * fields that coerce as their values, any other non-blank field as the text
 * typed. For showing the form as JSON to edit further. */
export function looseValues(schema: JsonSchema, values: FieldValues, options: CollectOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, s] of schemaProperties(schema)) {
    const raw = values[name] ?? initialValue(s)
    if (options.omitUnsetBooleans && raw === false && isUnsetBoolean(schema, name, s)) continue
    if (isBlank(s, raw)) continue
    const r = coerceValue(s, raw)
    out[name] = r.ok ? r.value : raw
  }
  return out
}
