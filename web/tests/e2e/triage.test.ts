// End-to-end: a triage that helps decide, driven by the keyboard alone. Each
// question shows its finding (rule, severity, place, redacted excerpt), the
// "n of m decided" count and the time left; the keyboard moves to each next
// question after an answer and to the result at the end; the live region
// says what happened; a short timeout ends the triage with findings left
// undecided; Stop asks first, and Escape or Keep running keeps the task.
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { screenshot, useSuite } from './harness'

const suite = useSuite()

async function open(transport: 'ws' | 'sse' = 'ws') {
  const page = await suite.browser.newPage()
  suite.pages.push(page)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(`${suite.server.url}/?transport=${transport}`)
  await page.waitForSelector('[data-testid=connection-status][data-status=open]')
  return { page, errors }
}

/** The data-testid of the focused element (or its tag name). */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null
    return el?.dataset.testid ?? el?.tagName ?? ''
  })

const waitFocus = (page: Page, testid: string, timeout = 10000) =>
  page.waitForFunction((id) => (document.activeElement as HTMLElement | null)?.dataset.testid === id, testid, { timeout })

const text = async (page: Page, testid: string) => ((await page.textContent(`[data-testid=${testid}]`)) ?? '').trim()

/** Fills in a triage's form (setup, not under test), then reaches Start with
 * Tab from the last field and presses Enter. */
async function startTriageByKeyboard(page: Page, params: Record<string, string>) {
  await page.selectOption('[data-testid=kind]', 'triage')
  if (params.min_severity) await page.selectOption('[data-testid=param-min_severity]', params.min_severity)
  for (const [name, value] of Object.entries(params)) if (name !== 'min_severity') await page.fill(`[data-testid=param-${name}]`, value)
  await page.focus('[data-testid=param-large_file_bytes]')
  for (let i = 0; i < 6 && (await focused(page)) !== 'start'; i++) await page.keyboard.press('Tab')
  expect(await focused(page)).toBe('start')
  await page.keyboard.press('Enter')
  await page.waitForSelector('[data-testid=task-id]')
  return (await text(page, 'task-id')).trim()
}

const ORDER = ['fix', 'accept', 'false_positive']

describe('triage by keyboard against the real server', () => {
  it('answers every question with Tab and Enter; the keyboard follows the questions', async () => {
    const { page, errors } = await open('ws')
    const id = await startTriageByKeyboard(page, { min_severity: 'medium' })
    // After Start: the new task's heading.
    await waitFocus(page, 'task-heading')
    expect(await text(page, 'announcer')).toMatch(/triage task started|Question 1 of/)

    const answers = ['fix', 'false_positive', 'accept', 'fix', 'accept', 'fix']
    const excerpts: string[] = []
    for (let i = 0; i < answers.length; i++) {
      await page.waitForSelector(`[data-testid=question][data-index="${i + 1}"]`)
      expect(await text(page, 'question-title')).toBe(`Question ${i + 1} of ${answers.length}`)
      expect(await text(page, 'decided-text')).toBe(`${i} of ${answers.length} decided`)
      expect(await text(page, 'question-rule')).toMatch(/^\w+$/)
      expect(await text(page, 'question-severity')).toMatch(/^(high|medium)$/)
      expect(await text(page, 'question-place')).toMatch(/^\S+(:\d+)?$/)
      if (await page.isVisible('[data-testid=question-excerpt]')) {
        excerpts.push(await text(page, 'question-excerpt'))
        if (excerpts.length === 1) await screenshot(page, 'triage-keyboard-excerpt')
      }
      expect(await text(page, 'input-countdown')).toMatch(/^Answer within (4:[0-5]\d|5:00)$/)
      await page.waitForFunction(
        (n) => document.querySelector('[data-testid=announcer]')?.textContent?.startsWith(`Question ${n} of `),
        i + 1,
      )
      if (i === 0) {
        // The first question does not take the keyboard; one Tab from the heading reaches it.
        expect(await focused(page)).toBe('task-heading')
        await page.keyboard.press('Tab')
        await screenshot(page, 'triage-keyboard-question')
      }
      // Each question starts on its first answer.
      expect(await focused(page)).toBe('choice-fix')
      for (let k = 0; k < ORDER.indexOf(answers[i]); k++) await page.keyboard.press('Tab')
      expect(await focused(page)).toBe(`choice-${answers[i]}`)
      await page.keyboard.press('Enter')
      if (i + 1 < answers.length) {
        await page.waitForSelector(`[data-testid=question][data-index="${i + 2}"]`)
        await waitFocus(page, 'choice-fix')
      }
    }
    // The questions ended: the keyboard is on the result.
    await page.waitForSelector('[data-testid=task-state][data-state=completed]')
    await waitFocus(page, 'result-heading')
    expect(await text(page, 'decided-text')).toBe('6 of 6 decided')
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=announcer]')?.textContent?.startsWith('Triage completed: 6 findings decided'),
    )
    const decisions = await page.$$eval('[data-testid=decision-row]', (rows) =>
      rows.map((r) => r.querySelectorAll('td')[4].textContent!.trim()),
    )
    expect(decisions).toEqual(answers.map((a) => a.replace('_', ' ')))
    // Excerpts were shown, redacted: the planted key never reached the page.
    expect(excerpts.length).toBeGreaterThan(0)
    expect(excerpts.join('\n')).not.toContain('AKIAIOSFODNN7EXAMPLE')
    const snap = (await (await fetch(`${suite.server.url}/api/tasks/${id}`)).json()) as { state: string }
    expect(snap.state).toBe('completed')
    expect(errors).toEqual([])
    await screenshot(page, 'triage-keyboard-result')
  })

  it('counts down to the input timeout and says the triage ended with undecided findings', async () => {
    const { page, errors } = await open('ws')
    await startTriageByKeyboard(page, { min_severity: 'high', input_timeout_ms: '3000' })
    await page.waitForSelector('[data-testid=question][data-index="1"]')
    expect(await text(page, 'input-countdown')).toMatch(/^Answer within 0:0[1-3]$/)
    const first = await text(page, 'input-countdown')
    // Each second it turns over (unless the question ended in between).
    await page.waitForFunction(
      (before) => {
        const el = document.querySelector('[data-testid=input-countdown]')
        return !el || el.textContent!.trim() !== before
      },
      first,
      { timeout: 2500 },
    )
    await page.waitForSelector('[data-testid=task-state][data-state=completed]', { timeout: 15000 })
    expect(await text(page, 'triage-timed-out')).toMatch(/Triage stopped early: .*3000 ms.*left undecided/s)
    expect(await page.$$eval('[data-testid=undecided-row]', (r) => r.length)).toBeGreaterThan(0)
    expect(await text(page, 'decided-text')).toBe('0 of 2 decided')
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=announcer]')?.textContent?.startsWith('Triage ended: a question timed out.'),
    )
    expect(await text(page, 'announcer')).toMatch(/0 decided, 2 left undecided\.$/)
    expect(await page.isVisible('[data-testid=stop]')).toBe(false)
    expect(errors).toEqual([])
    await screenshot(page, 'triage-countdown-timed-out')
  })

  it('keeps Stop apart from the answers and asks before stopping', async () => {
    const { page, errors } = await open('sse')
    const id = await startTriageByKeyboard(page, { min_severity: 'medium' })
    await page.waitForSelector('[data-testid=question][data-index="1"]')
    // From the last answer, Tab does not reach Stop.
    await page.focus('[data-testid=choice-false_positive]')
    await page.keyboard.press('Tab')
    expect(await focused(page)).not.toBe('stop')
    // The excerpt never widens the page.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true)

    await page.focus('[data-testid=stop]')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=stop-confirm]')
    expect(await text(page, 'stop-confirm')).toContain('Stop this task?')
    expect(await focused(page)).toBe('stop-no')
    await screenshot(page, 'triage-stop-confirm')
    // Escape: still running, the keyboard back on Stop.
    await page.keyboard.press('Escape')
    await waitFocus(page, 'stop')
    expect(await page.isVisible('[data-testid=stop-confirm]')).toBe(false)
    // Keep running, by Enter.
    await page.keyboard.press('Enter')
    await waitFocus(page, 'stop-no')
    await page.keyboard.press('Enter')
    await waitFocus(page, 'stop')
    await page.waitForTimeout(300)
    expect(await page.getAttribute('[data-testid=task-state]', 'data-state')).toBe('waiting_input')
    expect(((await (await fetch(`${suite.server.url}/api/tasks/${id}`)).json()) as { state: string }).state).toBe('waiting_input')

    // Yes, stop: one Shift+Tab back from Keep running.
    await page.keyboard.press('Enter')
    await waitFocus(page, 'stop-no')
    await page.keyboard.press('Shift+Tab')
    expect(await focused(page)).toBe('stop-yes')
    await page.keyboard.press('Enter')
    await page.waitForSelector('[data-testid=task-state][data-state=cancelled]')
    await waitFocus(page, 'task-heading')
    await page.waitForFunction(() => document.querySelector('[data-testid=announcer]')?.textContent?.startsWith('Task cancelled'))
    expect(await page.isVisible('[data-testid=stop]')).toBe(false)
    expect(await page.getAttribute('[data-testid=decided]', 'class')).toContain('progress-cancelled')
    expect(((await (await fetch(`${suite.server.url}/api/tasks/${id}`)).json()) as { state: string }).state).toBe('cancelled')
    expect(errors).toEqual([])
  })
})
