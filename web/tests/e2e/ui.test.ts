// End-to-end: the built app, served by the real server, in headless chromium.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { screenshot, startProxy, useSuite, eventLogRows } from './harness'

const suite = useSuite()

/** Opens the app and waits until its connection is open. */
async function open(url: string, transport: 'ws' | 'sse' = 'ws') {
  const page = await suite.browser.newPage()
  suite.pages.push(page)
  const frames: string[] = []
  page.on('websocket', (ws) => ws.on('framesent', (f) => frames.push(String(f.payload))))
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(`${url}/?transport=${transport}`)
  await page.waitForSelector('[data-testid=connection-status][data-status=open]')
  return { page, frames, errors }
}

async function startTask(page: Page, kind: string, params: Record<string, string> = {}) {
  await page.selectOption('[data-testid=kind]', kind)
  for (const [name, value] of Object.entries(params)) await page.fill(`[data-testid=param-${name}]`, value)
  await page.click('[data-testid=start]')
  await page.waitForSelector('[data-testid=task-id]')
  return (await page.textContent('[data-testid=task-id]'))!.trim()
}

const waitState = (page: Page, state: string, timeout = 30000) =>
  page.waitForSelector(`[data-testid=task-state][data-state=${state}]`, { timeout })

// The log renders only the rows in view: these scroll it through.
const eventSeqs = async (page: Page) => (await eventLogRows(page)).map((r) => r.seq)

const eventTypes = async (page: Page) => (await eventLogRows(page)).map((r) => r.type)

async function findings(page: Page) {
  return page.$$eval('[data-testid=finding-row]', (rows) =>
    rows.map((r) => {
      const cells = [...r.querySelectorAll('td')].map((c) => c.textContent!.trim())
      return { severity: cells[0], rule: cells[1], path: cells[2], line: cells[3], excerpt: cells[4] }
    }),
  )
}

async function snapshot(id: string) {
  const res = await fetch(`${suite.server.url}/api/tasks/${id}`)
  return (await res.json()) as { state: string; last_seq: number }
}

function expectOnceEach(seqs: number[], last: number) {
  expect(new Set(seqs).size).toBe(seqs.length)
  expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1))
}

const expectedFindings = [
  { severity: 'high', rule: 'aws_access_key', path: 'config/production.env' },
  { severity: 'high', rule: 'private_key', path: 'deploy/id_rsa' },
]

let auditTaskId = ''
let wsAuditFindings: Awaited<ReturnType<typeof findings>> = []

describe('web UI against the real server', () => {
  it('serves the app with the right types and caching', async () => {
    const index = await fetch(`${suite.server.url}/`)
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toMatch(/^text\/html/)
    expect(index.headers.get('cache-control')).toBe('no-cache')
    const html = await index.text()
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]
    const js = await fetch(suite.server.url + asset)
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(js.headers.get('cache-control')).toContain('immutable')
    const route = await fetch(`${suite.server.url}/tasks/t-1`)
    expect(route.status).toBe(200)
    expect(await route.text()).toBe(html)
    const missing = await fetch(`${suite.server.url}/assets/nope.js`)
    expect(missing.status).toBe(404)
    expect((await missing.json()).type).toBe('error')
    const escape = await fetch(`${suite.server.url}/assets/%2e%2e/%2e%2e/package.json`)
    expect([400, 404]).toContain(escape.status)
    expect(await escape.text()).not.toContain('switchboard-web')
    const api = await fetch(`${suite.server.url}/api/nope`)
    expect(api.status).toBe(404)
    expect((await api.json()).message).toContain('no such endpoint')
  })

  it('runs an audit over WebSocket: progress, events, a table of findings', async () => {
    const { page, frames, errors } = await open(suite.server.url, 'ws')
    expect(await page.textContent('[data-testid=transport]')).toBe('WebSocket')
    auditTaskId = await startTask(page, 'audit')
    await waitState(page, 'completed')
    expect(frames.some((f) => f.includes('"type":"start"') && f.includes('"task":"audit"'))).toBe(true)
    expect(await page.getAttribute('[data-testid=progress]', 'value')).toBe('100')
    expect(await page.textContent('[data-testid=progress-text]')).toMatch(/\d+ \/ \d+/)
    const types = await eventTypes(page)
    expect(types[0]).toBe('started')
    expect(types).toContain('progress')
    expect(types).toContain('tool_call')
    expect(types).toContain('tool_result')
    expect(types[types.length - 1]).toBe('result')
    expectOnceEach(await eventSeqs(page), (await snapshot(auditTaskId)).last_seq)

    const summary = await page.textContent('[data-testid=audit-summary]')
    expect(summary).toMatch(/2 high/)
    expect(summary).toMatch(/4 medium/)
    wsAuditFindings = await findings(page)
    expect(wsAuditFindings).toHaveLength(6)
    expect(wsAuditFindings.slice(0, 2)).toEqual(expectedFindings.map((f) => expect.objectContaining(f)))
    expect(wsAuditFindings.map((f) => f.rule)).toContain('world_writable')
    // Redacted: the planted secret never reaches the page.
    const text = await page.textContent('body')
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE')
    expect(errors).toEqual([])
    await screenshot(page, 'audit-ws')
  })

  it('runs an interactive triage: input requests answered with buttons, then the result', async () => {
    const { page } = await open(suite.server.url, 'ws')
    // min_severity medium: the 2 high and 4 medium findings, in order.
    await page.selectOption('[data-testid=kind]', 'triage')
    await page.selectOption('[data-testid=param-min_severity]', 'medium')
    const id = await startTask(page, 'triage')
    // Only the input_received rows: the log renders only the rows in view.
    await page.selectOption('[data-testid=event-filter]', 'input_received')
    const answers = ['fix', 'false_positive', 'accept', 'fix', 'accept', 'fix']
    for (let i = 0; i < answers.length; i++) {
      await page.waitForSelector('[data-testid=input-form]')
      await waitState(page, 'waiting_input')
      const prompt = (await page.textContent('[data-testid=input-prompt]'))!
      expect(prompt.length).toBeGreaterThan(5)
      const buttons = await page.$$eval('[data-testid=input-form] button', (bs) => bs.map((b) => b.textContent!.trim()))
      expect(buttons).toEqual(['fix', 'accept', 'false positive'])
      if (i === 0) await screenshot(page, 'triage-input')
      await page.click(`[data-testid=choice-${answers[i]}]`)
      await page.waitForFunction(
        (n) => document.querySelectorAll('[data-testid=event-row][data-type=input_received]').length === n,
        i + 1,
      )
    }
    await waitState(page, 'completed')
    expect((await snapshot(id)).state).toBe('completed')
    const decisions = await page.$$eval('[data-testid=decision-row]', (rows) =>
      rows.map((r) => r.querySelectorAll('td')[4].textContent!.trim()),
    )
    expect(decisions).toEqual(answers.map((a) => a.replace('_', ' ')))
    expect(await page.isVisible('[data-testid=input-form]')).toBe(false)
    await screenshot(page, 'triage-result')
  })

  it('starts a ticker from its schema-built form and shows its result as a tree', async () => {
    const { page, frames, errors } = await open(suite.server.url, 'ws')
    await page.selectOption('[data-testid=kind]', 'ticker')
    // Defaults prefilled, descriptions and bounds shown as help text.
    expect(await page.inputValue('[data-testid=param-steps]')).toBe('10')
    expect(await page.textContent('[data-testid=param-steps-help]')).toBe('how many progress events (0 to 1000000)')
    // Out of bounds: refused next to the field, nothing sent.
    await page.fill('[data-testid=param-steps]', '-5')
    await page.click('[data-testid=start]')
    expect(await page.textContent('[data-testid=param-steps-error]')).toBe('steps must be at least 0')
    expect(frames.some((f) => f.includes('"type":"start"'))).toBe(false)

    const id = await startTask(page, 'ticker', { steps: '3', interval_ms: '20' })
    await waitState(page, 'completed')
    expect(frames.some((f) => f.includes('"type":"start"') && f.includes('"steps":3'))).toBe(true)
    const snap = (await (await fetch(`${suite.server.url}/api/tasks/${id}`)).json()) as { params: Record<string, unknown> }
    expect(snap.params).toMatchObject({ steps: 3, interval_ms: 20 })
    await page.waitForSelector('[data-testid=task-result][data-view=tree] [data-testid=result-tree]')
    const steps = "[data-testid=result-tree] [data-testid=tree-node][data-path='steps']"
    expect(await page.getAttribute(steps, 'data-type')).toBe('number')
    expect((await page.textContent(`${steps} [data-testid=tree-value]`))!.trim()).toBe('3')
    expect(await page.isVisible('[data-testid=findings-table]')).toBe(false)
    expect(errors).toEqual([])
    await screenshot(page, 'ticker-tree')
  })

  it('stops a running task over WebSocket', async () => {
    const { page, frames } = await open(suite.server.url, 'ws')
    const id = await startTask(page, 'ticker', { steps: '1000', interval_ms: '50' })
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress]')?.getAttribute('data-step')) >= 2)
    await waitState(page, 'running')
    // Stop asks first.
    await page.click('[data-testid=stop]')
    await page.click('[data-testid=stop-yes]')
    await waitState(page, 'cancelled')
    expect(frames.some((f) => f.includes('"type":"stop"') && f.includes(id))).toBe(true)
    expect(await page.textContent('[data-testid=task-cancelled]')).toContain('stopped by user')
    expect(await page.isVisible('[data-testid=stop]')).toBe(false)
    const types = await eventTypes(page)
    expect(types[types.length - 1]).toBe('stopped')
    expect((await snapshot(id)).state).toBe('cancelled')
    await screenshot(page, 'stop-ws')
  })

  it('fetches the tools over WebSocket and calls one', async () => {
    const { page, frames } = await open(suite.server.url, 'ws')
    await page.waitForSelector('[data-testid=tool-item][data-name="fs.hash"]')
    expect(frames.some((f) => f.includes('"type":"list_tools"'))).toBe(true)
    const names = await page.$$eval('[data-testid=tool-item]', (items) => items.map((i) => (i as HTMLElement).dataset.name))
    expect(names).toEqual(expect.arrayContaining(['fs.list', 'fs.read', 'fs.hash', 'text.search', 'secrets.scan']))

    // The arguments are a form built from the tool's schema (tools.test.ts has the rest).
    await page.click('[data-testid=tool-item][data-name="fs.hash"] button')
    await page.fill('[data-testid=arg-path]', 'README.md')
    await page.click('[data-testid=tool-call-button]')
    await page.waitForSelector('[data-testid=tool-result]')
    const sha = createHash('sha256')
      .update(readFileSync(path.join(suite.server.workspace, 'README.md')))
      .digest('hex')
    expect(await page.textContent('[data-testid=tool-result]')).toContain(sha)
    expect(frames.some((f) => f.includes('"type":"call_tool"') && f.includes('fs.hash'))).toBe(true)

    await page.fill('[data-testid=arg-path]', '../etc/passwd')
    await page.click('[data-testid=tool-call-button]')
    await page.waitForSelector('[data-testid=tool-error]')
    expect((await page.textContent('[data-testid=tool-error]'))!.trim()).toMatch(/^invalid_args: /)
    await screenshot(page, 'tools')
  })

  it('picks a finished task from the task list and replays it', async () => {
    const { page } = await open(suite.server.url, 'ws')
    await page.waitForSelector(`[data-testid=task-row][data-task-id="${auditTaskId}"]`)
    expect(await page.$$eval('[data-testid=task-row]', (r) => r.length)).toBeGreaterThanOrEqual(3)
    await page.click(`[data-testid=task-row][data-task-id="${auditTaskId}"]`)
    await waitState(page, 'completed')
    await page.waitForSelector('[data-testid=finding-row]')
    expect(await findings(page)).toEqual(wsAuditFindings)
    expectOnceEach(await eventSeqs(page), (await snapshot(auditTaskId)).last_seq)
    await screenshot(page, 'task-list')
  })

  for (const transport of ['ws', 'sse'] as const) {
    it(`lists a finished task with its state and duration; the state filter hides it (${transport})`, async () => {
      const { page, frames, errors } = await open(suite.server.url, transport)
      const asked: string[] = []
      page.on('request', (r) => {
        if (new URL(r.url()).pathname === '/api/tasks' && r.method() === 'GET') asked.push(r.url())
      })
      const id = await startTask(page, 'ticker', { steps: '3', interval_ms: '20' })
      await waitState(page, 'completed')
      const row = `[data-testid=task-row][data-task-id="${id}"]`
      await page.waitForSelector(`${row}[data-state=completed]`)
      // Newest first, with the server's node and a duration.
      expect(await page.getAttribute('[data-testid=task-row]', 'data-task-id')).toBe(id)
      expect(await page.textContent(`${row} [data-testid=row-state]`)).toBe('completed')
      expect((await page.textContent(`${row} [data-testid=row-duration]`))!.trim()).toMatch(/^\d+(\.\d)? (ms|s)$/)
      expect(await page.getAttribute(`${row} [data-testid=row-duration]`, 'data-running')).toBeNull()
      await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'local', `${row} [data-testid=row-node]`)
      expect((await page.textContent(`${row} [data-testid=row-created]`))!.trim()).toMatch(/^(just now|\d+ s ago)$/)
      expect(await page.getAttribute(`${row} [data-testid=row-id]`, 'title')).toBe(id)

      await page.selectOption('[data-testid=filter-state]', 'failed')
      await page.waitForSelector(row, { state: 'detached' })
      if (transport === 'ws') {
        expect(frames.some((f) => f.includes('"type":"list_tasks"') && f.includes('"state":"failed"'))).toBe(true)
      } else {
        expect(asked.some((u) => new URL(u).searchParams.get('state') === 'failed')).toBe(true)
      }
      const states = await page.$$eval('[data-testid=task-row]', (rows) => rows.map((r) => (r as HTMLElement).dataset.state))
      expect(states.every((s) => s === 'failed')).toBe(true)
      if (states.length === 0) {
        expect(await page.textContent('[data-testid=tasks-empty]')).toContain('No tasks match these filters')
      }

      await page.selectOption('[data-testid=filter-state]', 'completed')
      await page.waitForSelector(`${row}[data-state=completed]`)
      await page.selectOption('[data-testid=filter-state]', '')
      await page.waitForSelector(`[data-testid=task-row][data-task-id="${auditTaskId}"]`)

      // The keyboard opens a row as a click does.
      await page.focus(`[data-testid=task-row][data-task-id="${auditTaskId}"]`)
      await page.keyboard.press('Enter')
      await page.waitForSelector(`[data-testid=task][data-task-id="${auditTaskId}"] [data-testid=task-state][data-state=completed]`)
      await page.waitForSelector('[data-testid=finding-row]')

      // A bounded list with its own scroll.
      const scroll = await page.$eval('[data-testid=task-scroll]', (el) => {
        const cs = getComputedStyle(el)
        return { maxHeight: cs.maxHeight, overflowY: cs.overflowY }
      })
      expect(scroll.maxHeight).not.toBe('none')
      expect(scroll.overflowY).toBe('auto')
      expect(errors).toEqual([])
      await screenshot(page, `task-history-${transport}`)
    })
  }

  it('runs the same audit over HTTP and SSE', async () => {
    const { page, frames } = await open(suite.server.url, 'sse')
    const sockets: string[] = []
    const streams: string[] = []
    page.on('websocket', (ws) => sockets.push(ws.url()))
    page.on('request', (r) => {
      if (r.url().includes('/events')) streams.push(r.url())
    })
    expect(await page.textContent('[data-testid=transport]')).toBe('HTTP + SSE')
    const id = await startTask(page, 'audit')
    await waitState(page, 'completed')
    expect(await findings(page)).toEqual(wsAuditFindings)
    expect(await page.getAttribute('[data-testid=progress]', 'value')).toBe('100')
    expectOnceEach(await eventSeqs(page), (await snapshot(id)).last_seq)
    expect(streams.some((u) => u.includes(`/api/tasks/${id}/events`))).toBe(true)
    expect(sockets).toEqual([])
    expect(frames).toEqual([])
    await screenshot(page, 'audit-sse')
  })

  for (const transport of ['ws', 'sse'] as const) {
    it(`reconnects after the connection drops mid-task (${transport}) and shows every event once`, async () => {
      const proxy = await startProxy(suite.server.port)
      try {
        const { page } = await open(proxy.url, transport)
        const id = await startTask(page, 'ticker', { steps: '40', interval_ms: '100' })
        await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress]')?.getAttribute('data-step')) >= 8)
        const before = proxy.accepted()
        expect(proxy.dropAll()).toBeGreaterThan(0)
        await page.waitForSelector('[data-testid=reconnects][data-count="1"]', { timeout: 10000 })
        expect(proxy.accepted()).toBeGreaterThan(before)
        await waitState(page, 'completed')
        const last = (await snapshot(id)).last_seq
        expect(last).toBe(42) // started, 40 progress, result
        expectOnceEach(await eventSeqs(page), last)
        expect(await page.textContent('[data-testid=progress-text]')).toContain('40 / 40')
        await screenshot(page, `reconnect-${transport}`)
      } finally {
        await proxy.close()
      }
    })
  }
})
