// The tools panel: argument forms built from each tool's schema, the JSON
// toggle, whole results with copy, and the history of this page's calls.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ToolsPanel from '../../src/components/ToolsPanel.vue'
import { useAgentStream, type AgentStream } from '../../src/composables/useAgentStream'
import { FakeWebSocket } from './fakes'
// A recorded `GET /api/tools` of the server (its `tools`).
import serverTools from './tools.json'

let client: AgentStream
let ws: FakeWebSocket

const SHA = 'f0b289b7526ad703eeb7b37054382bc7764c59f54760e2e8ff3fc2f89a613f85'

// A tool a plugin could add, with what the server's own schemas do not use.
const pluginTool = {
  name: 'report.make',
  description: 'Makes a report.',
  schema: {
    type: 'object',
    properties: {
      title: { type: 'string', description: 'shown at the top' },
      format: { type: 'string', enum: ['md', 'html'], default: 'md', description: 'output format' },
      depth: { type: 'integer', minimum: 1, maximum: 5, default: 2, description: 'how deep to go' },
      draft: { type: 'boolean', default: true, description: 'mark as draft' },
      tags: { type: 'array', items: { type: 'string' }, description: 'labels' },
    },
    required: ['title'],
  },
}

async function mountPanel(tools: unknown[] = [...serverTools, pluginTool]) {
  const w = mount(ToolsPanel, { props: { client }, attachTo: document.body })
  ws.reply('list_tools', { type: 'tools', tools })
  await flushPromises()
  return w
}
type Wrapper = Awaited<ReturnType<typeof mountPanel>>

async function pick(w: Wrapper, name: string) {
  await w.get(`[data-testid=tool-item][data-name="${name}"] button`).trigger('click')
}

async function submit(w: Wrapper) {
  await w.get('[data-testid=tool-call]').trigger('submit')
  await flushPromises()
}

function replyResult(result: unknown) {
  const req = ws.lastSent('call_tool')
  ws.reply('call_tool', { type: 'tool_result', call_id: req.call_id, result })
}

beforeEach(() => {
  FakeWebSocket.reset()
  client = useAgentStream({ url: 'http://sb.test', WebSocket: FakeWebSocket as any })
  ws = FakeWebSocket.last
  ws.accept()
})
afterEach(() => {
  client.disconnect()
  document.body.innerHTML = ''
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('ToolsPanel', () => {
  it('shows every field of fs.list, all optional, with bounds as help text tied to the field', async () => {
    const w = await mountPanel()
    await pick(w, 'fs.list')
    for (const name of ['path', 'recursive', 'max_entries']) {
      expect(w.find(`[data-testid=arg-${name}]`).exists()).toBe(true)
      expect(w.get(`[data-testid=arg-${name}-optional]`).text()).toBe('(optional)')
    }
    expect(w.get('[data-testid=arg-recursive]').attributes('type')).toBe('checkbox')
    const max = w.get('[data-testid=arg-max_entries]')
    expect(max.attributes('type')).toBe('number')
    expect(max.attributes('min')).toBe('1')
    expect(max.attributes('max')).toBe('100000')
    const help = w.get('[data-testid=arg-max_entries-help]')
    expect(help.text()).toBe('Most entries to return; the listing says truncated when there are more. (1 to 100000)')
    expect(max.attributes('aria-describedby')).toBe(help.attributes('id'))
    expect(w.get('[data-testid=arg-path-help]').text()).toContain('at most 4096 characters')
    // The server's defaults are prefilled.
    expect((w.get('[data-testid=arg-path]').element as HTMLInputElement).value).toBe('.')
    expect(w.get('[data-testid=tool-description]').text()).toContain('Lists the entries')
  })

  it('shows descriptions as visible help, prefills defaults, and renders enums and booleans', async () => {
    const w = await mountPanel()
    await pick(w, 'report.make')
    expect(w.get('[data-testid=arg-title-help]').text()).toBe('shown at the top')
    expect(w.get('[data-testid=arg-title-help]').isVisible()).toBe(true)
    expect(w.get('[data-testid=arg-depth-help]').text()).toBe('how deep to go (1 to 5)')
    expect(w.get('[data-testid=arg-title]').attributes('aria-required')).toBe('true')
    expect(w.find('[data-testid=arg-title-optional]').exists()).toBe(false)
    const format = w.get('[data-testid=arg-format]')
    expect(format.element.tagName).toBe('SELECT')
    expect((format.element as HTMLSelectElement).value).toBe('md')
    expect((w.get('[data-testid=arg-depth]').element as HTMLInputElement).value).toBe('2')
    expect((w.get('[data-testid=arg-draft]').element as HTMLInputElement).checked).toBe(true)
    expect(w.get('[data-testid=arg-tags]').element.tagName).toBe('TEXTAREA')
  })

  it('refuses an invalid argument next to its field without calling', async () => {
    const w = await mountPanel()
    await pick(w, 'fs.hash')
    await submit(w)
    expect(w.get('[data-testid=arg-path-error]').text()).toBe('path is required')
    const path = w.get('[data-testid=arg-path]')
    expect(path.attributes('aria-invalid')).toBe('true')
    expect(path.attributes('aria-describedby')).toContain(w.get('[data-testid=arg-path-error]').attributes('id'))
    expect(document.activeElement).toBe(path.element)

    await pick(w, 'fs.list')
    await w.get('[data-testid=arg-max_entries]').setValue('0')
    await submit(w)
    expect(w.get('[data-testid=arg-max_entries-error]').text()).toBe('max_entries must be at least 1')
    expect(ws.lastSent('call_tool')).toBeUndefined()
    // Editing the field clears its error.
    await w.get('[data-testid=arg-max_entries]').setValue('5')
    expect(w.find('[data-testid=arg-max_entries-error]').exists()).toBe(false)
  })

  it('sends only what was filled in: empty optional fields and unticked checkboxes left out', async () => {
    const w = await mountPanel()
    await pick(w, 'fs.list')
    await submit(w)
    expect(ws.lastSent('call_tool')).toMatchObject({ tool: 'fs.list', args: {} })
    replyResult({ path: '.', entries: [], truncated: false, skipped: [] })
    await flushPromises()
    await w.get('[data-testid=arg-path]').setValue('')
    await w.get('[data-testid=arg-recursive]').setValue(true)
    await w.get('[data-testid=arg-max_entries]').setValue('20')
    await submit(w)
    expect(ws.lastSent('call_tool').args).toEqual({ recursive: true, max_entries: 20 })
  })

  it('shows the whole result, its state and duration, and copies it', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined)
    vi.stubGlobal('navigator', { clipboard: { writeText } })
    const w = await mountPanel()
    await pick(w, 'fs.hash')
    await w.get('[data-testid=arg-path]').setValue('README.md')
    await submit(w)
    expect(ws.lastSent('call_tool')).toMatchObject({ tool: 'fs.hash', args: { path: 'README.md' } })
    expect(w.get('[data-testid=tool-call-button]').attributes('disabled')).toBeDefined()
    replyResult({ path: 'README.md', size: 979, sha256: SHA })
    await flushPromises()
    const text = w.get('[data-testid=tool-result]').text()
    expect(text).toContain(`"sha256": "${SHA}"`)
    expect(JSON.parse(text)).toEqual({ path: 'README.md', size: 979, sha256: SHA })
    expect(w.get('[data-testid=tool-outcome]').attributes('data-ok')).toBe('true')
    expect(w.get('[data-testid=tool-outcome-state]').text()).toBe('ok')
    expect(w.get('[data-testid=tool-outcome-duration]').text()).toMatch(/^\d+(\.\d)? (ms|s)$/)
    expect(w.get('[data-testid=tool-status]').text()).toMatch(/^fs\.hash: ok in /)

    await w.get('[data-testid=tool-copy]').trigger('click')
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith(JSON.stringify({ path: 'README.md', size: 979, sha256: SHA }, null, 2))
    expect(w.get('[data-testid=tool-copy-status]').text()).toBe('Copied')
  })

  it('copies with execCommand where navigator.clipboard is missing', async () => {
    vi.stubGlobal('navigator', {})
    const exec = vi.fn().mockReturnValue(true)
    ;(document as any).execCommand = exec
    const w = await mountPanel()
    await pick(w, 'fs.hash')
    await w.get('[data-testid=arg-path]').setValue('README.md')
    await submit(w)
    replyResult({ sha256: SHA })
    await flushPromises()
    await w.get('[data-testid=tool-copy]').trigger('click')
    await flushPromises()
    expect(exec).toHaveBeenCalledWith('copy')
    expect(w.get('[data-testid=tool-copy-status]').text()).toBe('Copied')
    delete (document as any).execCommand
  })

  it('shows a server error with its code and message', async () => {
    const w = await mountPanel()
    await pick(w, 'fs.hash')
    await w.get('[data-testid=arg-path]').setValue('nope.txt')
    await submit(w)
    ws.reply('call_tool', { type: 'error', code: 'invalid_args', message: 'no such file or directory: nope.txt' })
    await flushPromises()
    expect(w.get('[data-testid=tool-outcome]').attributes('data-ok')).toBe('false')
    expect(w.get('[data-testid=tool-error]').text()).toBe('invalid_args: no such file or directory: nope.txt')
    expect(w.get('[data-testid=tool-error]').attributes('role')).toBe('alert')
    expect(w.get('[data-testid=tool-history-state]').text()).toBe('invalid_args')
  })

  it('edits raw arguments as JSON for what the form cannot express, and goes back to the form', async () => {
    const w = await mountPanel()
    await pick(w, 'secrets.scan')
    await w.get('[data-testid=arg-large_file_bytes]').setValue('100')
    await w.get('[data-testid=tool-json-toggle]').trigger('click')
    expect(w.get('[data-testid=tool-json-toggle]').attributes('aria-pressed')).toBe('true')
    const area = w.get('[data-testid=tool-args]')
    expect(JSON.parse((area.element as HTMLTextAreaElement).value)).toEqual({ large_file_bytes: 100 })

    await area.setValue('{"paths": ["app", "config"]}')
    await submit(w)
    expect(ws.lastSent('call_tool')).toMatchObject({ tool: 'secrets.scan', args: { paths: ['app', 'config'] } })
    replyResult({ findings: [] })
    await flushPromises()

    // Back to the form: the array goes into its JSON field.
    await w.get('[data-testid=tool-json-toggle]').trigger('click')
    expect(w.get('[data-testid=tool-call]').attributes('data-mode')).toBe('form')
    expect(JSON.parse((w.get('[data-testid=arg-paths]').element as HTMLTextAreaElement).value)).toEqual(['app', 'config'])
    expect((w.get('[data-testid=arg-large_file_bytes]').element as HTMLInputElement).value).toBe('')
  })

  it('keeps JSON the form cannot show, and refuses JSON that is not an object without calling', async () => {
    const w = await mountPanel()
    await pick(w, 'fs.hash')
    await w.get('[data-testid=tool-json-toggle]').trigger('click')
    await w.get('[data-testid=tool-args]').setValue('{"path": "a", "extra": 1}')
    await w.get('[data-testid=tool-json-toggle]').trigger('click')
    expect(w.get('[data-testid=tool-call]').attributes('data-mode')).toBe('json')
    expect(w.get('[data-testid=tool-args-error]').text()).toContain('"extra" is not a field of the form')

    await w.get('[data-testid=tool-args]').setValue('{"path": ')
    await submit(w)
    expect(w.get('[data-testid=tool-args-error]').text()).toBe('The arguments are not valid JSON.')
    await w.get('[data-testid=tool-args]').setValue('[1]')
    await submit(w)
    expect(w.get('[data-testid=tool-args-error]').text()).toBe('The arguments must be a JSON object.')
    expect(ws.lastSent('call_tool')).toBeUndefined()
  })

  it('keeps the last 10 calls newest first; a row shows its result again and refills the form', async () => {
    const w = await mountPanel()
    await pick(w, 'fs.hash')
    for (let i = 1; i <= 12; i++) {
      await w.get('[data-testid=arg-path]').setValue(`f${i}.txt`)
      await submit(w)
      replyResult({ path: `f${i}.txt`, sha256: String(i).repeat(64).slice(0, 64) })
      await flushPromises()
    }
    const rows = w.findAll('[data-testid=tool-history-row]')
    expect(rows).toHaveLength(10)
    expect(rows.map((r) => r.get('[data-testid=tool-history-args]').text())).toEqual(
      Array.from({ length: 10 }, (_, i) => `{"path":"f${12 - i}.txt"}`),
    )
    expect(rows[0].attributes('data-tool')).toBe('fs.hash')
    expect(rows[0].get('[data-testid=tool-history-state]').text()).toBe('ok')

    // The fifth newest: f8.txt.
    await rows[4].get('[data-testid=tool-history-show]').trigger('click')
    expect(JSON.parse(w.get('[data-testid=tool-result]').text())).toMatchObject({ path: 'f8.txt' })
    expect(rows[4].get('[data-testid=tool-history-show]').attributes('aria-pressed')).toBe('true')

    // Another tool picked; refilling brings fs.hash and f8.txt back.
    await pick(w, 'fs.list')
    await rows[4].get('[data-testid=tool-history-refill]').trigger('click')
    expect(w.get('[data-testid=tool-call]').attributes('data-tool')).toBe('fs.hash')
    expect((w.get('[data-testid=arg-path]').element as HTMLInputElement).value).toBe('f8.txt')
    expect(JSON.parse(w.get('[data-testid=tool-result]').text())).toMatchObject({ path: 'f8.txt' })
  })

  it('shows the result over the whole page in a wide view that Escape closes', async () => {
    const w = await mountPanel()
    await pick(w, 'fs.hash')
    await w.get('[data-testid=arg-path]').setValue('README.md')
    await submit(w)
    replyResult({ sha256: SHA })
    await flushPromises()
    await w.get('[data-testid=tool-wide]').trigger('click')
    await flushPromises()
    const dialog = document.querySelector<HTMLElement>('[data-testid=tool-wide-dialog]')!
    expect(dialog.getAttribute('role')).toBe('dialog')
    expect(dialog.querySelector('[data-testid=tool-result-wide]')!.textContent).toContain(SHA)
    expect(document.activeElement).toBe(dialog.querySelector('[data-testid=tool-wide-close]'))
    dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    await flushPromises()
    expect(document.querySelector('[data-testid=tool-wide-dialog]')).toBeNull()
    expect(document.activeElement).toBe(w.get('[data-testid=tool-wide]').element)
  })

  it('keeps what was typed when the open tool is picked again; a tool that leaves the registry takes its form', async () => {
    const w = await mountPanel()
    await pick(w, 'fs.hash')
    await w.get('[data-testid=arg-path]').setValue('x.txt')
    await pick(w, 'fs.hash')
    expect((w.get('[data-testid=arg-path]').element as HTMLInputElement).value).toBe('x.txt')
    ws.receive({ type: 'tools_changed', tools: serverTools.filter((t) => t.name !== 'fs.hash') })
    await flushPromises()
    expect(w.find('[data-testid=tool-call]').exists()).toBe(false)
  })

  it('refills arguments the form cannot show as JSON', async () => {
    const w = await mountPanel()
    await pick(w, 'report.make')
    await w.get('[data-testid=tool-json-toggle]').trigger('click')
    await w.get('[data-testid=tool-args]').setValue('{"title": "t", "extra": {"a": 1}}')
    await submit(w)
    expect(ws.lastSent('call_tool').args).toEqual({ title: 't', extra: { a: 1 } })
    replyResult('done')
    await flushPromises()
    await pick(w, 'fs.hash')
    expect(w.get('[data-testid=tool-call]').attributes('data-mode')).toBe('form')
    await w.get('[data-testid=tool-history-refill]').trigger('click')
    expect(w.get('[data-testid=tool-call]').attributes('data-tool')).toBe('report.make')
    expect(w.get('[data-testid=tool-call]').attributes('data-mode')).toBe('json')
    expect(JSON.parse((w.get('[data-testid=tool-args]').element as HTMLTextAreaElement).value)).toEqual({ title: 't', extra: { a: 1 } })
  })

  it('keeps the focus inside the wide view', async () => {
    const w = await mountPanel()
    await pick(w, 'fs.hash')
    await w.get('[data-testid=arg-path]').setValue('README.md')
    await submit(w)
    replyResult({ sha256: SHA })
    await flushPromises()
    await w.get('[data-testid=tool-wide]').trigger('click')
    await flushPromises()
    const dialog = document.querySelector<HTMLElement>('[data-testid=tool-wide-dialog]')!
    const close = dialog.querySelector<HTMLElement>('[data-testid=tool-wide-close]')!
    const text = dialog.querySelector<HTMLElement>('[data-testid=tool-result-wide]')!
    expect(document.activeElement).toBe(close)
    // Copy, Close, then the text: Tab on the last goes back to the first, Shift+Tab on the first to the last.
    text.focus()
    text.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true, cancelable: true }))
    expect(document.activeElement).toBe(dialog.querySelector('button'))
    ;(dialog.querySelector('button') as HTMLElement).dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Tab', shiftKey: true, bubbles: true, cancelable: true }),
    )
    expect(document.activeElement).toBe(text)
  })
})
