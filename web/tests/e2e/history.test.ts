// End-to-end: the task history outlives the server. Tasks run on one server
// process; a second one over the same data directory lists them, and the UI
// opens each with its whole event log.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventLogRows, api, launchBrowser, screenshot, startServer, type Browser, type Server, waitFor } from './harness'

let browser: Browser
let dataDir = ''

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-e2e-history-'))
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})


type Snapshot = { state: string; last_seq: number }

/** Waits until the event log shows the event with seq `n` (it follows the newest). */
const waitEventSeq = (page: Page, n: number) => page.waitForSelector(`[data-testid=event-row][data-seq="${n}"]`)

/** The seqs of the log, from 1 to `last` once each, but for the runs of
 * progress events the server coalesced on replay (a subscriber resuming far
 * behind gets the last progress event of each run, with `skipped` saying how
 * many it replaces). The log renders only the rows in view: this scrolls it. */
async function expectWholeLog(page: Page, last: number) {
  const rows = await eventLogRows(page)
  expect(rows[0].seq).toBe(1)
  expect(rows[rows.length - 1].seq).toBe(last)
  for (let i = 1; i < rows.length; i++) {
    const gap = rows[i].seq - rows[i - 1].seq - 1
    expect(gap).toBeGreaterThanOrEqual(0)
    if (gap > 0) {
      expect(rows[i].type).toBe('progress')
      expect(rows[i].details).toContain(`(+${gap} skipped)`)
    }
  }
}

describe('task history across a restart', () => {
  it('lists the tasks of the last process and opens each: a finished one whole, an unfinished one interrupted', async () => {
    // The first process: one ticker finishes, another is still running when the process dies.
    let server = await startServer([], { dataDir })
    let done = ''
    let cut = ''
    let doneSeq = 0
    try {
      done = (await api<{ task_id: string }>(server, 'POST', '/api/tasks', { task: 'ticker', params: { steps: 5, interval_ms: 10 } })).task_id
      // started, a progress event a step, the result. The state says
      // completed as soon as the flow returns, but last_seq counts only the
      // events stored so far: it can still be 5 then (under load, now and
      // then), and the log after the restart ends at 7, with 5 perhaps
      // coalesced away. Wait until the result itself is stored.
      doneSeq = await waitFor('the ticker to complete and its result to be stored', async () => {
        const s = await api<Snapshot>(server, 'GET', `/api/tasks/${done}`)
        return s.state === 'completed' && s.last_seq === 5 + 2 ? s.last_seq : undefined
      })
      cut = (await api<{ task_id: string }>(server, 'POST', '/api/tasks', { task: 'ticker', params: { steps: 1000, interval_ms: 50 } })).task_id
      await waitFor('the long ticker to progress', async () => {
        const s = await api<Snapshot>(server, 'GET', `/api/tasks/${cut}`)
        return s.last_seq >= 3 ? true : undefined
      })
    } finally {
      await server.stop('SIGKILL')
    }

    server = await startServer([], { dataDir })
    try {
      const page = await browser.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      await page.goto(`${server.url}/?transport=ws`)
      await page.waitForSelector('[data-testid=connection-status][data-status=open]')

      const doneRow = `[data-testid=task-row][data-task-id="${done}"]`
      const cutRow = `[data-testid=task-row][data-task-id="${cut}"]`
      await page.waitForSelector(`${doneRow}[data-state=completed]`)
      await page.waitForSelector(`${cutRow}[data-state=failed]`)
      // Newest first.
      expect(await page.$$eval('[data-testid=task-row]', (rows) => rows.map((r) => (r as HTMLElement).dataset.taskId))).toEqual([cut, done])
      expect((await page.textContent(`${doneRow} [data-testid=row-duration]`))!.trim()).toMatch(/^\d+(\.\d)? (ms|s)$/)
      expect((await page.textContent(`${cutRow} [data-testid=row-duration]`))!.trim()).not.toBe('–')

      await page.selectOption('[data-testid=filter-state]', 'failed')
      await page.waitForSelector(doneRow, { state: 'detached' })
      // The filtered page may arrive after the old rows went.
      await page.waitForSelector(cutRow)
      expect(await page.$$eval('[data-testid=task-row]', (rows) => rows.map((r) => (r as HTMLElement).dataset.taskId))).toEqual([cut])
      await page.click(cutRow)
      await page.waitForSelector(`[data-testid=task][data-task-id="${cut}"] [data-testid=task-state][data-state=failed]`)
      expect(await page.textContent('[data-testid=task-error]')).toContain('interrupted')
      const cutSnap = await api<Snapshot>(server, 'GET', `/api/tasks/${cut}`)
      await waitEventSeq(page, cutSnap.last_seq)
      await expectWholeLog(page, cutSnap.last_seq)

      await page.selectOption('[data-testid=filter-state]', '')
      await page.click(doneRow)
      await page.waitForSelector(`[data-testid=task][data-task-id="${done}"] [data-testid=task-state][data-state=completed]`)
      await waitEventSeq(page, doneSeq)
      await expectWholeLog(page, doneSeq)
      await page.waitForSelector('[data-testid=task-result][data-view=tree]')
      expect(errors).toEqual([])
      await screenshot(page, 'history-after-restart')
    } finally {
      await server.stop()
    }
  })
})
