// End-to-end: the task table and the status strip against the real server.
// Twenty-odd finished tickers and a triage waiting for an answer: the triage
// is pinned on top and counted in the page title, the id search finds a task
// and opens one the table does not show, the retention line says what the
// server keeps, the strip's numbers move while a ticker runs, and the table
// scrolls inside its own box, also on a phone-sized screen.
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, launchBrowser, screenshot, startServer, type Browser, type Server, waitFor } from './harness'

let server: Server
let browser: Browser
const pages: Page[] = []
const tickers: string[] = []
let triage = ''


const start = (task: string, params: Record<string, unknown>, on: Server = server) =>
  api<{ task_id: string }>(on, 'POST', '/api/tasks', { task, params }).then((r) => r.task_id)
const snapshot = (id: string) => api<{ state: string }>(server, 'GET', `/api/tasks/${id}`)

async function open(query = 'transport=ws', viewport?: { width: number; height: number }, on: Server = server) {
  const page = await browser.newPage()
  pages.push(page)
  if (viewport) await page.setViewportSize(viewport)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(`${on.url}/?${query}`)
  await page.waitForSelector('[data-testid=connection-status][data-status=open]')
  return { page, errors }
}

const rowIds = (page: Page) =>
  page.$$eval('[data-testid=task-row]', (rows) => rows.map((r) => (r as HTMLElement).dataset.taskId!))

const statValue = (page: Page, id: string) =>
  page.$eval(`[data-testid=${id}]`, (el) => (el as HTMLElement).dataset.value ?? null)

beforeAll(async () => {
  server = await startServer()
  browser = await launchBrowser()
  // More finished tasks than the box shows at once.
  for (let i = 0; i < 22; i++) tickers.push(await start('ticker', { steps: 1, interval_ms: 0 }))
  triage = await start('triage', { min_severity: 'medium' })
  await waitFor('the triage to ask', async () => ((await snapshot(triage)).state === 'waiting_input' ? true : undefined))
  await waitFor('the tickers to finish', async () => {
    for (const id of tickers) if ((await snapshot(id)).state !== 'completed') return undefined
    return true
  })
})

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {})
  await browser?.close()
  await server?.stop()
})

describe('task table', () => {
  it('pins a waiting triage on top, counts it in the title, and lets it go when it ends', async () => {
    const { page, errors } = await open()
    const pinned = `[data-testid=task-row][data-task-id="${triage}"][data-pinned=true]`
    await page.waitForSelector(pinned)
    expect((await rowIds(page))[0]).toBe(triage)
    expect((await page.textContent('[data-testid=group-head-waiting]'))!.trim()).toBe('Waiting for input (1)')
    await page.waitForFunction(() => document.title === '(1 waiting) Switchboard')

    // A filter that hides everything else leaves the waiting task on top.
    await page.selectOption('[data-testid=filter-state]', 'failed')
    await page.waitForSelector('[data-testid=tasks-group-empty]')
    expect(await rowIds(page)).toEqual([triage])
    await page.selectOption('[data-testid=filter-state]', '')
    await page.waitForSelector(`[data-testid=task-row][data-task-id="${tickers[0]}"]`)
    await screenshot(page, 'tasktable-waiting-pinned')

    // Ended elsewhere (over the API): the next poll unpins it, the title goes back.
    const other = await start('triage', { min_severity: 'high' })
    await page.waitForFunction(() => document.title === '(2 waiting) Switchboard', undefined, { timeout: 15000 })
    await api(server, 'POST', `/api/tasks/${other}/stop`, { reason: 'e2e' })
    await page.waitForFunction(() => document.title === '(1 waiting) Switchboard', undefined, { timeout: 15000 })
    await page.waitForSelector(`[data-testid=task-row][data-task-id="${other}"][data-state=cancelled]:not([data-pinned])`)
    expect(errors).toEqual([])
  })

  it('finds a task by part of its id, and opens a whole id the table does not show', async () => {
    const { page, errors } = await open()
    const target = tickers[7]
    await page.waitForSelector(`[data-testid=task-row][data-task-id="${target}"]`)
    // Tab order: the search box is reachable from the filters.
    await page.focus('[data-testid=filter-kind]')
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('task-search')

    const part = target.slice(6, 18)
    await page.keyboard.type(part)
    await page.waitForFunction(
      (id) => {
        const rows = [...document.querySelectorAll<HTMLElement>('[data-testid=task-row]')]
        return rows.length === 1 && rows[0].dataset.taskId === id
      },
      target,
    )
    expect(await page.isVisible('[data-testid=search-open]')).toBe(false)

    // Filtered out: the whole id is offered, and Enter opens it.
    await page.selectOption('[data-testid=filter-state]', 'failed')
    await page.fill('[data-testid=task-search]', target)
    await page.waitForSelector('[data-testid=search-open]')
    expect((await page.textContent('[data-testid=search-open]'))!.trim()).toBe(`Open task ${target}`)
    await page.focus('[data-testid=task-search]')
    await page.keyboard.press('Enter')
    await page.waitForSelector(`[data-testid=task][data-task-id="${target}"] [data-testid=task-state][data-state=completed]`)
    expect(new URL(page.url()).searchParams.get('task')).toBe(target)

    // An id the server does not know opens too; the monitor says so.
    await page.fill('[data-testid=task-search]', 't-00000000000000000000000000000000')
    await page.click('[data-testid=search-open]')
    await page.waitForSelector('[data-testid=task][data-task-id="t-00000000000000000000000000000000"] [data-testid=task-notice]')
    expect(await page.textContent('[data-testid=task-notice]')).toContain('unknown to the server')
    expect(errors).toEqual([])
  })

  it("says how long finished tasks are kept, from the server's status", async () => {
    const { page } = await open()
    await page.waitForSelector('[data-testid=tasks-retention]')
    expect((await page.textContent('[data-testid=tasks-retention]'))!.trim()).toBe(
      'Finished tasks are kept for 7 days (at most 100,000)',
    )
    const memory = await startServer(['--history=memory', '--retention-ms=7200000', '--max-tasks-kept=500'])
    try {
      const { page: p2 } = await open('transport=sse', undefined, memory)
      await p2.waitForSelector('[data-testid=tasks-retention]')
      expect((await p2.textContent('[data-testid=tasks-retention]'))!.trim()).toBe(
        // The memory history has no count limit: max_tasks_kept is null.
        'Finished tasks are kept in memory for 2 hours; a restart loses them',
      )
      await p2.close()
    } finally {
      await memory.stop()
    }
  })

  it('scrolls the table inside its own box, also at 390x844, and keeps the panels below reachable', async () => {
    for (const [query, viewport] of [
      ['transport=ws', { width: 1280, height: 900 }],
      ['transport=sse', { width: 390, height: 844 }],
    ] as const) {
      const { page, errors } = await open(query, viewport)
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=task-row]').length >= n, tickers.length + 1)
      const box = await page.$eval('[data-testid=task-scroll]', (el) => {
        const style = getComputedStyle(el)
        return {
          clientHeight: el.clientHeight,
          scrollHeight: el.scrollHeight,
          overflowY: style.overflowY,
          rowHeight: el.querySelector('[data-testid=task-row]')!.getBoundingClientRect().height,
        }
      })
      expect(box.overflowY).toBe('auto')
      expect(box.scrollHeight).toBeGreaterThan(box.clientHeight)
      // At most 24rem (336 px at 14 px) and 55% of the window's height.
      expect(box.clientHeight).toBeLessThanOrEqual(Math.min(336, viewport.height * 0.55) + 2)
      expect(box.clientHeight).toBeGreaterThan(box.rowHeight * 5)

      // The oldest row comes into view by scrolling the box, not the page.
      const pageScroll = await page.evaluate(() => window.scrollY)
      const oldest = tickers[0]
      await page.$eval('[data-testid=task-scroll]', (el) => (el.scrollTop = el.scrollHeight))
      const inBox = await page.$eval(
        '[data-testid=task-scroll]',
        (el, id) => {
          const b = el.getBoundingClientRect()
          const r = el.querySelector(`[data-task-id="${id}"]`)!.getBoundingClientRect()
          return r.top >= b.top - 1 && r.bottom <= b.bottom + 1
        },
        oldest,
      )
      expect(inBox).toBe(true)
      expect(await page.evaluate(() => window.scrollY)).toBe(pageScroll)
      // The panel below the table is there, right after it.
      const gap = await page.evaluate(() => {
        const list = document.querySelector('[data-testid=task-list]')!.getBoundingClientRect()
        const tools = document.querySelector('[data-testid=tools-panel]')
        return tools ? tools.getBoundingClientRect().top - list.bottom : null
      })
      expect(gap).not.toBeNull()
      expect(gap!).toBeLessThan(40)
      const listWidth = await page.$eval('[data-testid=task-list]', (el) => el.getBoundingClientRect().right)
      expect(listWidth).toBeLessThanOrEqual(viewport.width)
      // The strip reads the status over either transport (GET /api/status over SSE).
      await page.waitForSelector('[data-testid=status-strip][data-ready=true]')
      expect(await statValue(page, 'status-waiting')).toBe('1')
      await screenshot(page, `tasktable-scroll-${viewport.width}`)
      expect(errors).toEqual([])
      await page.close()
    }
  })
})

describe('status strip', () => {
  it('shows running, waiting and failed counts and an event rate that moves while a ticker runs', async () => {
    const { page, errors } = await open()
    await page.waitForSelector('[data-testid=status-strip][data-ready=true]')
    expect(await statValue(page, 'status-waiting')).toBe('1')
    expect(await statValue(page, 'status-running')).toBe('0')
    expect(await page.getAttribute('[data-testid=link-metrics]', 'href')).toBe('/metrics')
    expect(await page.getAttribute('[data-testid=link-healthz]', 'href')).toBe('/healthz')
    expect((await page.request.get(`${server.url}/healthz`)).status()).toBe(200)
    expect((await page.request.get(`${server.url}/metrics`)).status()).toBe(200)

    const ticker = await start('ticker', { steps: 300, interval_ms: 50 })
    // Polled every 5 s: within two polls the ticker is counted and a rate known.
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('[data-testid=status-running]')?.dataset.value === '1',
      undefined,
      { timeout: 12000 },
    )
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLElement>('[data-testid=status-rate]')?.dataset.value ?? 0) > 5,
      undefined,
      { timeout: 12000 },
    )
    const rate = Number(await statValue(page, 'status-rate'))
    // 20 progress events a second, give or take a reading's timing.
    expect(rate).toBeGreaterThan(5)
    expect(rate).toBeLessThan(60)
    await screenshot(page, 'status-strip-running')
    await api(server, 'POST', `/api/tasks/${ticker}/stop`, { reason: 'e2e' })
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('[data-testid=status-running]')?.dataset.value === '0',
      undefined,
      { timeout: 12000 },
    )
    expect(await page.isVisible('[data-testid=status-draining]')).toBe(false)
    expect(errors).toEqual([])
  })
})
