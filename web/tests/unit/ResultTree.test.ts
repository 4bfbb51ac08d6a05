// ResultTree: a JSON result as a tree of buttons that open and close.
import { describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import ResultTree from '../../src/components/ResultTree.vue'
import { childPath, entriesOf, jsonType, summaryOf } from '../../src/jsonTree'

const node = (w: VueWrapper, path: string) => w.get(`[data-testid=tree-node][data-path='${path}']`)
const toggle = (w: VueWrapper, path: string) => node(w, path).get(':scope > [data-testid=tree-toggle]')
const leaf = (w: VueWrapper, path: string) => node(w, path).get('[data-testid=tree-value]')

describe('jsonTree', () => {
  it('names types, paths and summaries', () => {
    expect([{}, [], 'a', 1, true, null, undefined].map(jsonType)).toEqual([
      'object',
      'array',
      'string',
      'number',
      'boolean',
      'null',
      'none',
    ])
    expect(childPath('', 'steps')).toBe('steps')
    expect(childPath('a', 'b')).toBe('a.b')
    expect(childPath('a', 0)).toBe('a[0]')
    expect(childPath('a', 'x y')).toBe('a["x y"]')
    expect(entriesOf({ a: 1, b: [2] }, '').map((e) => e.path)).toEqual(['a', 'b'])
    expect(entriesOf('x', '')).toEqual([])
    expect([{ a: 1 }, { a: 1, b: 2 }, [1], [], {}, 3].map(summaryOf)).toEqual(['{1 key}', '{2 keys}', '[1 item]', '[]', '{}', ''])
  })
})

describe('ResultTree', () => {
  const data = {
    steps: 12,
    name: 'ticker',
    ok: true,
    missing: null,
    nested: { list: [1, 'two', { three: 3 }], empty: {} },
  }

  it('renders nested data, each kind of value in its own style', () => {
    const w = mount(ResultTree, { props: { value: data } })
    expect(w.get('[data-testid=result-tree]').attributes('data-type')).toBe('object')
    expect(leaf(w, 'steps').text()).toBe('12')
    expect(leaf(w, 'steps').classes()).toContain('tree-number')
    expect(leaf(w, 'name').text()).toBe('"ticker"')
    expect(leaf(w, 'name').classes()).toContain('tree-string')
    expect(leaf(w, 'ok').text()).toBe('true')
    expect(leaf(w, 'ok').classes()).toContain('tree-boolean')
    expect(leaf(w, 'missing').text()).toBe('null')
    expect(leaf(w, 'missing').classes()).toContain('tree-null')
    // Open down to depth 2: nested and nested.list are open, nested.list[2] is not.
    expect(toggle(w, 'nested').attributes('aria-expanded')).toBe('true')
    expect(toggle(w, 'nested').text()).toContain('{2 keys}')
    expect(toggle(w, 'nested.list').attributes('aria-expanded')).toBe('true')
    expect(leaf(w, 'nested.list[1]').text()).toBe('"two"')
    expect(node(w, 'nested.list[1]').attributes('data-type')).toBe('string')
    expect(toggle(w, 'nested.list[2]').attributes('aria-expanded')).toBe('false')
    expect(w.find("[data-path='nested.list[2].three']").exists()).toBe(false)
    // An empty object is a leaf, not a button.
    expect(leaf(w, 'nested.empty').text()).toBe('{}')
    expect(node(w, 'nested.empty').find('button').exists()).toBe(false)
  })

  it('expands and collapses with buttons that say whether they are open', async () => {
    const w = mount(ResultTree, { props: { value: data } })
    const deep = toggle(w, 'nested.list[2]')
    expect(deep.element.tagName).toBe('BUTTON')
    expect(deep.attributes('type')).toBe('button')
    expect(deep.attributes('aria-controls')).toBeUndefined()
    await deep.trigger('click')
    expect(toggle(w, 'nested.list[2]').attributes('aria-expanded')).toBe('true')
    expect(leaf(w, 'nested.list[2].three').text()).toBe('3')
    const controls = toggle(w, 'nested.list[2]').attributes('aria-controls')!
    expect(w.find(`[id="${controls}"]`).exists()).toBe(true)

    await toggle(w, 'nested').trigger('click')
    expect(toggle(w, 'nested').attributes('aria-expanded')).toBe('false')
    expect(w.find("[data-path='nested.list']").exists()).toBe(false)
    await toggle(w, 'nested').trigger('click')
    expect(w.find("[data-path='nested.list']").exists()).toBe(true)
  })

  it('shows a long string in full on request, saying how much is hidden', async () => {
    const long = 'x'.repeat(1000) + 'END'
    const w = mount(ResultTree, { props: { value: { log: long } } })
    expect(leaf(w, 'log').text()).not.toContain('END')
    const more = w.get('[data-testid=tree-string-toggle]')
    expect(more.attributes('aria-expanded')).toBe('false')
    expect(more.text()).toContain('1003 characters')
    expect(more.text()).toContain('703 hidden')
    await more.trigger('click')
    expect(leaf(w, 'log').text()).toBe(`"${long}"`)
    expect(w.get('[data-testid=tree-string-toggle]').attributes('aria-expanded')).toBe('true')
  })

  it('collapses big arrays and pages their items', async () => {
    const w = mount(ResultTree, { props: { value: { items: Array.from({ length: 250 }, (_, i) => i) } } })
    expect(toggle(w, 'items').attributes('aria-expanded')).toBe('false')
    expect(toggle(w, 'items').text()).toContain('[250 items]')
    await toggle(w, 'items').trigger('click')
    expect(node(w, 'items').findAll('[data-testid=tree-node]')).toHaveLength(100)
    expect(w.get('[data-testid=tree-more]').text()).toContain('150 not shown')
    await w.get('[data-testid=tree-more]').trigger('click')
    await w.get('[data-testid=tree-more]').trigger('click')
    expect(node(w, 'items').findAll('[data-testid=tree-node]')).toHaveLength(250)
    expect(w.find('[data-testid=tree-more]').exists()).toBe(false)
  })

  it('shows a top-level array, a plain value and an empty result', () => {
    const arr = mount(ResultTree, { props: { value: ['a', 1] } })
    expect(leaf(arr, '[0]').text()).toBe('"a"')
    expect(leaf(arr, '[1]').text()).toBe('1')
    const num = mount(ResultTree, { props: { value: 42 } })
    expect(num.get('[data-testid=tree-value]').text()).toBe('42')
    const none = mount(ResultTree, { props: { value: {} } })
    expect(none.get('[data-testid=tree-value]').text()).toBe('{}')
  })
})
