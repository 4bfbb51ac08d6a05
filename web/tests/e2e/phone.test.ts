// Layout at a glance: on a 390x844 phone a finished audit (with a long path
// and a long excerpt) fits the viewport, the tables scroll inside their own
// box, the side panels stack below the monitor; and the dark scheme follows
// the system preference.
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, screenshot, startServer, type Browser, type Server } from './harness'
import {
  finishedAudit,
  finishedTriage,
  LONG_PATH,
  openApp,
  overflowing,
  plantLongFinding,
  stopTask,
  toolResult,
  waitingTriage,
  type Scheme,
} from './views'

let server: Server
let browser: Browser
const pages: Page[] = []

beforeAll(async () => {
  server = await startServer()
  plantLongFinding(server.workspace)
  browser = await launchBrowser()
})

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => {})
  await browser?.close()
  await server?.stop()
})

const phone = { width: 390, height: 844 }

/** Relative luminance of a CSS rgb()/rgba() colour. */
function luminance(css: string): number {
  const [r, g, b] = css.match(/[\d.]+/g)!.slice(0, 3).map((v) => {
    const c = Number(v) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

const colours = (page: Page) =>
  page.evaluate(() => {
    const body = getComputedStyle(document.body)
    const card = getComputedStyle(document.querySelector('.card')!)
    return { bg: body.backgroundColor, fg: body.color, card: card.backgroundColor }
  })

describe('phone layout and colour schemes', () => {
  for (const scheme of ['light', 'dark'] as Scheme[]) {
    it(`fits a finished audit into 390 px: no page-wide horizontal scroll (${scheme})`, async () => {
      const page = await openApp(browser, server.url, { scheme, viewport: phone })
      pages.push(page)
      await finishedAudit(page)
      // The long finding is there, whole.
      const paths = await page.$$eval('[data-testid=finding-row] td:nth-child(3)', (cells) => cells.map((c) => c.textContent!.trim()))
      expect(paths).toContain(LONG_PATH)
      const m = await page.evaluate(() => {
        const rect = (s: string) => document.querySelector(s)!.getBoundingClientRect()
        return {
          scrollWidth: document.documentElement.scrollWidth,
          bodyScrollWidth: document.body.scrollWidth,
          monitor: rect('[data-testid=task-monitor]'),
          taskList: rect('[data-testid=task-list]'),
          tools: rect('[data-testid=tools-panel]'),
          findings: rect('[data-testid=audit-result]'),
          // The table fits its own box: nothing to scroll sideways there either.
          tableOverflow: document.querySelector('[data-testid=audit-result]')!.scrollWidth -
            document.querySelector('[data-testid=audit-result]')!.clientWidth,
        }
      })
      expect(m.scrollWidth, (await overflowing(page)).join(', ')).toBeLessThanOrEqual(phone.width)
      expect(m.bodyScrollWidth).toBeLessThanOrEqual(phone.width)
      // Stacked: the side panels below the monitor, each within the screen.
      expect(m.taskList.top).toBeGreaterThanOrEqual(m.monitor.bottom)
      expect(m.tools.top).toBeGreaterThanOrEqual(m.taskList.bottom)
      for (const r of [m.monitor, m.taskList, m.tools, m.findings]) {
        expect(r.left).toBeGreaterThanOrEqual(0)
        expect(r.right).toBeLessThanOrEqual(phone.width)
      }
      expect(m.tableOverflow).toBeLessThanOrEqual(0)
      await screenshot(page, `phone-audit-${scheme}`)
    })
  }

  it('fits a triage question, a triage result and a tool result into 390 px', async () => {
    const page = await openApp(browser, server.url, { scheme: 'dark', viewport: phone })
    pages.push(page)
    const fits = async (what: string) =>
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `${what}: ${(await overflowing(page)).join(', ')}`).toBeLessThanOrEqual(phone.width)
    await waitingTriage(page)
    await fits('triage question')
    await screenshot(page, 'phone-triage-question')
    await stopTask(page)
    await finishedTriage(page)
    await fits('triage result')
    await toolResult(page)
    await fits('tool result')
    await screenshot(page, 'phone-triage-tools')
  })

  it('follows the system colour scheme: a dark body under emulateMedia dark, light otherwise', async () => {
    const page = await openApp(browser, server.url, { scheme: 'light' })
    pages.push(page)
    const light = await colours(page)
    expect(luminance(light.bg)).toBeGreaterThan(0.8)
    expect(luminance(light.fg)).toBeLessThan(0.05)
    await page.emulateMedia({ colorScheme: 'dark' })
    const dark = await colours(page)
    expect(luminance(dark.bg)).toBeLessThan(0.02)
    expect(luminance(dark.card)).toBeLessThan(0.03)
    expect(luminance(dark.fg)).toBeGreaterThan(0.7)
    // Text on the page's background at WCAG AA at least.
    const ratio = (luminance(dark.fg) + 0.05) / (luminance(dark.bg) + 0.05)
    expect(ratio).toBeGreaterThanOrEqual(4.5)
    await screenshot(page, 'dark-start')
  })
})
