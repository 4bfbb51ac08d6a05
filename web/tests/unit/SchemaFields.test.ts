// SchemaFields: every control shows its schema's description as visible
// help text tied to it by aria-describedby (start forms, input requests and
// tool arguments all use it).
import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import SchemaFields from '../../src/components/SchemaFields.vue'
import type { JsonSchema } from '../../src/protocol'

const schema: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'who it is for' },
    level: { enum: ['low', 'high'], description: 'how loud' },
    deep: { type: 'boolean', description: 'look inside folders' },
    count: { type: 'integer', minimum: 1, description: 'how many' },
    extra: { type: 'object', description: 'anything else' },
    bare: { type: 'string' },
  },
  required: ['name'],
}

describe('SchemaFields', () => {
  it('shows each description as visible help under its control, tied by aria-describedby', () => {
    const w = mount(SchemaFields, { props: { schema, modelValue: {} } })
    const expected: Record<string, string> = {
      name: 'who it is for',
      level: 'how loud',
      deep: 'look inside folders',
      count: 'how many (at least 1)',
      extra: 'anything else',
    }
    for (const [name, text] of Object.entries(expected)) {
      const help = w.get(`[data-testid=field-${name}-help]`)
      expect(help.text()).toBe(text)
      expect(help.element.tagName).toBe('SMALL')
      expect(w.get(`[data-testid=field-${name}]`).attributes('aria-describedby')).toBe(help.attributes('id'))
    }
    expect(w.find('[data-testid=field-bare-help]').exists()).toBe(false)
    expect(w.get('[data-testid=field-bare]').attributes('aria-describedby')).toBeUndefined()
  })

  it('adds the error to the description it is described by', () => {
    const w = mount(SchemaFields, { props: { schema, modelValue: {}, errors: { count: 'must be at least 1' } } })
    const control = w.get('[data-testid=field-count]')
    const ids = control.attributes('aria-describedby')!.split(' ')
    expect(ids).toEqual([w.get('[data-testid=field-count-help]').attributes('id'), w.get('[data-testid=field-count-error]').attributes('id')])
    expect(w.get('[data-testid=field-count-error]').text()).toBe('count must be at least 1')
  })

  it('marks required fields, and says "optional" only when asked', () => {
    const plain = mount(SchemaFields, { props: { schema, modelValue: {} } })
    expect(plain.find('[data-testid=field-bare-optional]').exists()).toBe(false)
    expect(plain.get('[data-field=name] .required').text()).toBe('*')
    const marked = mount(SchemaFields, { props: { schema, modelValue: {}, markOptional: true, testidPrefix: 'arg-' } })
    expect(marked.get('[data-testid=arg-bare-optional]').text()).toBe('(optional)')
    expect(marked.find('[data-testid=arg-name-optional]').exists()).toBe(false)
    // Inside the label: the control's accessible name says it.
    const id = marked.get('[data-testid=arg-bare]').attributes('id')
    expect(marked.get(`label[for="${id}"]`).text()).toBe('bare (optional)')
  })
})
