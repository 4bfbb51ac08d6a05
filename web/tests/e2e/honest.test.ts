// End-to-end: honest states. A link to a task the server does not know shows
// a notice and is never retried (on both transports); a triage whose question
// timed out shows why and what it left undecided.
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { screenshot, useSuite } from './harness'

const suite = useSuite()

const UNKNOWN_NOTICE = 'This task is unknown to the server or its history was deleted'

describe('honest states against the real server', () => {
  for (const transport of ['ws', 'sse'] as const) {
    it(`shows an unknown task link as unknown, with no Stop and no retries (${transport})`, async () => {
      const page = await suite.browser.newPage()
      suite.pages.push(page)
      const id = 't-does-not-exist'
      const streamRequests: string[] = []
      const subscribes: string[] = []
      const errors: string[] = []
      page.on('request', (r) => {
        if (new URL(r.url()).pathname === `/api/tasks/${id}/events`) streamRequests.push(r.url())
      })
      page.on('websocket', (ws) =>
        ws.on('framesent', (f) => {
          const text = String(f.payload)
          if (text.includes('"subscribe"') && text.includes(id)) subscribes.push(text)
        }),
      )
      page.on('pageerror', (e) => errors.push(String(e)))
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().includes('404')) errors.push(m.text())
      })
      await page.goto(`${suite.server.url}/?transport=${transport}&task=${id}`)
      await page.waitForSelector('[data-testid=connection-status][data-status=open]')
      await page.waitForSelector('[data-testid=task-notice]')
      expect((await page.textContent('[data-testid=task-notice]'))!.trim()).toBe(UNKNOWN_NOTICE)
      expect(await page.isVisible('[data-testid=stop]')).toBe(false)
      expect(await page.isVisible('[data-testid=action-error]')).toBe(false)
      // Long enough for several retries at the default backoff (500 ms, doubling).
      await page.waitForTimeout(2500)
      expect(await page.getAttribute('[data-testid=connection-status]', 'data-status')).toBe('open')
      expect((await page.textContent('[data-testid=task-notice]'))!.trim()).toBe(UNKNOWN_NOTICE)
      if (transport === 'sse') expect(streamRequests.length).toBeLessThanOrEqual(1)
      else expect(subscribes).toHaveLength(1)
      expect(errors).toEqual([])
      await screenshot(page, `unknown-task-${transport}`)
    })
  }

  it('shows a triage whose question timed out: the notice and the undecided findings', async () => {
    const page = await suite.browser.newPage()
    suite.pages.push(page)
    await page.goto(`${suite.server.url}/?transport=ws`)
    await page.waitForSelector('[data-testid=connection-status][data-status=open]')
    await page.selectOption('[data-testid=kind]', 'triage')
    await page.selectOption('[data-testid=param-min_severity]', 'medium')
    await page.fill('[data-testid=param-input_timeout_ms]', '1500')
    await page.click('[data-testid=start]')
    await page.waitForSelector('[data-testid=input-form]')
    // Left unanswered: the server ends the triage after 1.5 s.
    await page.waitForSelector('[data-testid=task-state][data-state=completed]', { timeout: 15000 })
    const notice = (await page.textContent('[data-testid=triage-timed-out]'))!
    expect(notice).toMatch(/no answer to \S+ within 1500 ms/)
    const undecided = await page.$$eval('[data-testid=undecided-row]', (rows) => rows.map((r) => r.textContent!.trim()))
    expect(undecided.length).toBeGreaterThan(0)
    for (const row of undecided) expect(row).toMatch(/^\S+ (low|medium|high) \S+:\d+$/)
    expect(await page.isVisible('[data-testid=stop]')).toBe(false)
    await screenshot(page, 'triage-timed-out')
  })
})
