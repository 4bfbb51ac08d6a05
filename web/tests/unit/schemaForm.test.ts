// schemaForm.ts: the pure part of every schema-built form (start forms and
// input requests): controls, defaults, coercion, bounds, enums, required.
import { describe, expect, it } from 'vitest'
import type { JsonSchema } from '../../src/protocol'
import {
  boundsText,
  coerceValue,
  collectValues,
  fieldType,
  helpText,
  initialValue,
  initialValues,
  isBlank,
  looseValues,
  valuesFromObject,
} from '../../src/schemaForm'
import kinds from './kinds.json'

const ticker = kinds.find((k) => k.name === 'ticker')!.params_schema as JsonSchema
const triage = kinds.find((k) => k.name === 'triage')!.params_schema as JsonSchema

describe('schemaForm', () => {
  it('picks a control per schema', () => {
    expect(fieldType({ type: 'string', enum: ['a', 'b'] })).toBe('enum')
    expect(fieldType({ enum: [1, 2] })).toBe('enum')
    expect(fieldType({ type: 'boolean' })).toBe('boolean')
    expect(fieldType({ type: 'integer' })).toBe('integer')
    expect(fieldType({ type: ['number', 'null'] })).toBe('number')
    expect(fieldType({ type: 'string' })).toBe('string')
    expect(fieldType({ type: 'object' })).toBe('json')
    expect(fieldType({ type: 'array', items: { type: 'string' } })).toBe('json')
    expect(fieldType({})).toBe('json')
  })

  it('prefills defaults, and leaves fields without one empty', () => {
    expect(initialValues(ticker)).toEqual({ steps: '10', interval_ms: '100' })
    expect(initialValues(triage)).toEqual({
      path: '.',
      min_severity: 'medium',
      input_timeout_ms: '300000',
      large_file_bytes: '10485760',
    })
    expect(initialValue({ type: 'boolean' })).toBe(false)
    expect(initialValue({ type: 'boolean', default: true })).toBe(true)
    expect(initialValue({ type: 'string' })).toBe('')
    expect(initialValue({ type: 'object', default: { a: 1 } })).toBe('{"a":1}')
    expect(initialValue({ enum: [1, 2], default: 2 })).toBe('2')
    expect(initialValues({ type: 'object' })).toEqual({})
  })

  it('parses integers and numbers', () => {
    expect(coerceValue({ type: 'integer' }, '42')).toEqual({ ok: true, value: 42 })
    expect(coerceValue({ type: 'integer' }, ' 7 ')).toEqual({ ok: true, value: 7 })
    expect(coerceValue({ type: 'integer' }, '1e3')).toEqual({ ok: true, value: 1000 })
    expect(coerceValue({ type: 'number' }, '2.5')).toEqual({ ok: true, value: 2.5 })
    expect(coerceValue({ type: 'number' }, '-0.25')).toEqual({ ok: true, value: -0.25 })
    expect(coerceValue({ type: 'integer' }, '2.5')).toEqual({ ok: false, error: 'must be a whole number' })
    expect(coerceValue({ type: 'integer' }, 'ten')).toEqual({ ok: false, error: 'must be a number' })
    expect(coerceValue({ type: 'number' }, 'Infinity')).toEqual({ ok: false, error: 'must be a number' })
  })

  it('checks minimum and maximum, inclusive, and the exclusive bounds', () => {
    const steps = ticker.properties!.steps
    expect(coerceValue(steps, '0')).toEqual({ ok: true, value: 0 })
    expect(coerceValue(steps, '1000000')).toEqual({ ok: true, value: 1000000 })
    expect(coerceValue(steps, '-1')).toEqual({ ok: false, error: 'must be at least 0' })
    expect(coerceValue(steps, '1000001')).toEqual({ ok: false, error: 'must be at most 1000000' })
    const open = { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }
    expect(coerceValue(open, '0.5')).toEqual({ ok: true, value: 0.5 })
    expect(coerceValue(open, '0')).toEqual({ ok: false, error: 'must be over 0' })
    expect(coerceValue(open, '1')).toEqual({ ok: false, error: 'must be under 1' })
  })

  it('says the bounds in the help text, after the description', () => {
    expect(boundsText({ type: 'integer', minimum: 0, maximum: 10 })).toBe('0 to 10')
    expect(boundsText({ type: 'integer', minimum: 1 })).toBe('at least 1')
    expect(boundsText({ type: 'number', maximum: 5 })).toBe('at most 5')
    expect(boundsText({ type: 'string', maxLength: 8 })).toBe('at most 8 characters')
    expect(boundsText({ type: 'string' })).toBe('')
    expect(helpText(ticker.properties!.steps)).toBe('how many progress events (0 to 1000000)')
    expect(helpText(triage.properties!.min_severity)).toBe('ask about findings at or above this severity')
    expect(helpText({ type: 'integer', minimum: 1 })).toBe('at least 1')
    expect(helpText({ type: 'string' })).toBe('')
  })

  it('maps an enum choice back to its value, and refuses anything else', () => {
    const severity = triage.properties!.min_severity
    expect(coerceValue(severity, 'high')).toEqual({ ok: true, value: 'high' })
    expect(coerceValue(severity, 'urgent')).toEqual({ ok: false, error: 'must be one of low, medium, high' })
    expect(coerceValue({ enum: [1, 2, null] }, '2')).toEqual({ ok: true, value: 2 })
    expect(coerceValue({ enum: [1, 2, null] }, 'null')).toEqual({ ok: true, value: null })
  })

  it('takes booleans, strings and JSON as they are meant', () => {
    expect(coerceValue({ type: 'boolean' }, true)).toEqual({ ok: true, value: true })
    expect(coerceValue({ type: 'boolean' }, false)).toEqual({ ok: true, value: false })
    expect(coerceValue({ type: 'string' }, ' x ')).toEqual({ ok: true, value: ' x ' })
    expect(coerceValue({ type: 'string', minLength: 2 }, 'x')).toEqual({ ok: false, error: 'must be at least 2 characters' })
    expect(coerceValue({ type: 'array' }, '[1, 2]')).toEqual({ ok: true, value: [1, 2] })
    expect(coerceValue({ type: 'array' }, '{}')).toEqual({ ok: false, error: 'must be a JSON array' })
    expect(coerceValue({ type: 'object' }, '[]')).toEqual({ ok: false, error: 'must be a JSON object' })
    expect(coerceValue({}, '{oops')).toEqual({ ok: false, error: 'must be valid JSON' })
  })

  it('knows a blank field', () => {
    expect(isBlank({ type: 'integer' }, '')).toBe(true)
    expect(isBlank({ type: 'integer' }, '  ')).toBe(true)
    expect(isBlank({ type: 'string' }, '')).toBe(true)
    expect(isBlank({ type: 'string' }, ' ')).toBe(false)
    expect(isBlank({ type: 'boolean' }, false)).toBe(false)
    expect(isBlank({ enum: ['a'] }, '')).toBe(true)
    expect(isBlank({ enum: ['', 'a'] }, '')).toBe(false)
  })

  it('collects an object: blank optional fields left out, blank required ones refused', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        name: { type: 'string' },
        count: { type: 'integer', minimum: 1 },
        mode: { enum: ['a', 'b'] },
        verbose: { type: 'boolean' },
        note: { type: 'string' },
      },
      required: ['name', 'mode'],
    }
    expect(collectValues(schema, { name: 'x', count: '3', mode: 'b', verbose: true, note: '' })).toEqual({
      ok: true,
      value: { name: 'x', count: 3, mode: 'b', verbose: true },
    })
    expect(collectValues(schema, { name: '', count: '0', mode: '', verbose: false })).toEqual({
      ok: false,
      errors: { name: 'is required', count: 'must be at least 1', mode: 'is required' },
    })
  })

  it('collects a start form from its defaults when nothing was typed', () => {
    expect(collectValues(ticker, {})).toEqual({ ok: true, value: { steps: 10, interval_ms: 100 } })
    expect(collectValues(ticker, { steps: '3' })).toEqual({ ok: true, value: { steps: 3, interval_ms: 100 } })
    expect(collectValues(ticker, { steps: '' })).toEqual({ ok: true, value: { interval_ms: 100 } })
    expect(collectValues({ type: 'object' }, {})).toEqual({ ok: true, value: {} })
  })

  it('leaves out an unticked optional checkbox without a default only when asked (tool arguments)', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: { recursive: { type: 'boolean' }, keep: { type: 'boolean', default: true }, must: { type: 'boolean' } },
      required: ['must'],
    }
    const values = { recursive: false, keep: false, must: false }
    expect(collectValues(schema, values)).toEqual({ ok: true, value: { recursive: false, keep: false, must: false } })
    expect(collectValues(schema, values, { omitUnsetBooleans: true })).toEqual({ ok: true, value: { keep: false, must: false } })
    expect(collectValues(schema, { ...values, recursive: true }, { omitUnsetBooleans: true })).toEqual({
      ok: true,
      value: { recursive: true, keep: false, must: false },
    })
  })

  it('reads a JSON object back into form values, or says why the form cannot hold it', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        path: { type: 'string' },
        n: { type: 'integer' },
        mode: { enum: ['a', 'b', 3] },
        deep: { type: 'boolean' },
        on: { type: 'boolean', default: true },
        paths: { type: 'array' },
      },
    }
    expect(valuesFromObject(schema, { path: 'x', n: 5, mode: 3, deep: true, paths: ['a'] })).toEqual({
      ok: true,
      values: { path: 'x', n: '5', mode: '3', deep: true, on: true, paths: '["a"]' },
    })
    expect(valuesFromObject(schema, {})).toEqual({
      ok: true,
      values: { path: '', n: '', mode: '', deep: false, on: true, paths: '' },
    })
    expect(valuesFromObject(schema, [])).toEqual({ ok: false, error: 'the arguments must be a JSON object' })
    expect(valuesFromObject(schema, { other: 1 })).toEqual({ ok: false, error: '"other" is not a field of the form' })
    expect(valuesFromObject(schema, { path: 3 })).toEqual({ ok: false, error: 'the value of "path" does not fit its field' })
    expect(valuesFromObject(schema, { mode: 'c' })).toEqual({ ok: false, error: 'the value of "mode" does not fit its field' })
    expect(valuesFromObject(schema, { deep: 'yes' })).toMatchObject({ ok: false })
    // Round trip: what the form sends reads back as the same values.
    const values = { path: 'x', n: '5', mode: 'b', deep: true, on: false, paths: '[1,2]' }
    const sent = collectValues(schema, values)
    expect(sent.ok && valuesFromObject(schema, sent.value)).toEqual({ ok: true, values })
  })

  it('shows a form as JSON whether or not it is valid, keeping what was typed', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: { n: { type: 'integer', minimum: 1 }, s: { type: 'string' }, b: { type: 'boolean' }, j: {} },
    }
    expect(looseValues(schema, { n: '0', s: '', b: false, j: '{"a":' })).toEqual({ n: '0', b: false, j: '{"a":' })
    expect(looseValues(schema, { n: '4', s: 'x', b: false, j: '[1]' }, { omitUnsetBooleans: true })).toEqual({
      n: 4,
      s: 'x',
      j: [1],
    })
  })
})
