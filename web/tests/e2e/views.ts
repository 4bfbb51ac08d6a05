// The app's main views, reached the way a user does, for the accessibility
// and layout tests and for the docs' screenshots (scripts/screenshots.sh):
// the start page, a running ticker, a triage waiting for input, a finished
// audit. Also axe-core, injected into the page from node_modules.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import type { Browser } from './harness'
import { webDir } from './harness'

export const axePath = path.join(webDir, 'node_modules/axe-core/axe.min.js')

export type Scheme = 'light' | 'dark'

export interface ViewOptions {
  scheme?: Scheme
  /** Width x height of the viewport; the harness's default is 1280x900. */
  viewport?: { width: number; height: number }
}

/** A page on the app with its connection open, in the given scheme and size. */
export async function openApp(browser: Browser, url: string, options: ViewOptions = {}): Promise<Page> {
  const page = await browser.newPage()
  if (options.viewport) await page.setViewportSize(options.viewport)
  await page.emulateMedia({ colorScheme: options.scheme ?? 'light', reducedMotion: 'reduce' })
  await page.goto(`${url}/?transport=ws`)
  await page.waitForSelector('[data-testid=connection-status][data-status=open]')
  // The task list's first load and the kinds: the start page as it settles.
  await page.waitForSelector('[data-testid=kind] option', { state: 'attached' })
  await page.waitForSelector('[data-testid=tasks-loading]', { state: 'detached' })
  return page
}

export const waitState = (page: Page, state: string, timeout = 30000) =>
  page.waitForSelector(`[data-testid=task-state][data-state=${state}]`, { timeout })

export async function startTask(page: Page, kind: string, params: Record<string, string> = {}): Promise<string> {
  await page.selectOption('[data-testid=kind]', kind)
  for (const [name, value] of Object.entries(params)) {
    const sel = `[data-testid=param-${name}]`
    if ((await page.$eval(sel, (e) => e.tagName)) === 'SELECT') await page.selectOption(sel, value)
    else await page.fill(sel, value)
  }
  const before = await page.$eval('[data-testid=task-id]', (e) => e.textContent).catch(() => null)
  await page.click('[data-testid=start]')
  await page.waitForFunction(
    (old) => {
      const t = document.querySelector('[data-testid=task-id]')?.textContent
      return !!t && t !== old
    },
    before,
  )
  return (await page.textContent('[data-testid=task-id]'))!.trim()
}

/** A finished audit; `workspace` gets a finding with a long path and a long
 * excerpt first (see plantLongFinding). */
export async function finishedAudit(page: Page) {
  const id = await startTask(page, 'audit')
  await waitState(page, 'completed')
  await page.waitForSelector('[data-testid=findings-table]')
  return id
}

/** A ticker that runs for a minute; the caller stops it. */
export async function runningTicker(page: Page) {
  const id = await startTask(page, 'ticker', { steps: '600', interval_ms: '100' })
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress]')?.getAttribute('data-step')) >= 3)
  await waitState(page, 'running')
  return id
}

/** A triage waiting for its first answer; the caller stops it. */
export async function waitingTriage(page: Page) {
  const id = await startTask(page, 'triage', { min_severity: 'medium' })
  await page.waitForSelector('[data-testid=input-form]')
  await waitState(page, 'waiting_input')
  return id
}

/** A triage of the high findings answered "fix" throughout, finished. */
export async function finishedTriage(page: Page) {
  const id = await startTask(page, 'triage', { min_severity: 'high' })
  for (;;) {
    const state = await page.waitForSelector(
      '[data-testid=task-state][data-state=completed], [data-testid=choice-fix]:not([disabled])',
    )
    if ((await state.getAttribute('data-testid')) === 'task-state') break
    await state.click()
    // Each question is a new form: wait for this one to go.
    await state.waitForElementState('hidden')
  }
  await page.waitForSelector('[data-testid=decisions-table]')
  return id
}

/** The tools panel with a call of fs.hash done and its result shown. */
export async function toolResult(page: Page) {
  await page.click('[data-testid=tool-item][data-name="fs.hash"] button')
  await page.fill('[data-testid=arg-path]', 'README.md')
  await page.click('[data-testid=tool-call-button]')
  await page.waitForSelector('[data-testid=tool-result]')
}

/** A running ticker with Stop's confirmation open; the caller stops it. */
export async function stopConfirmation(page: Page) {
  await runningTicker(page)
  await page.click('[data-testid=stop]')
  await page.waitForSelector('[data-testid=stop-yes]')
}

/** Stops the task on screen, confirming when the UI asks. */
export async function stopTask(page: Page) {
  if (!(await page.isVisible('[data-testid=stop-yes]'))) {
    if (!(await page.isVisible('[data-testid=stop]'))) return
    await page.click('[data-testid=stop]')
  }
  const yes = await page.waitForSelector('[data-testid=stop-yes]', { timeout: 2000 }).catch(() => null)
  if (yes) await yes.click()
  await waitState(page, 'cancelled', 10000)
}

/** A finding as a phone shows it at its worst: a deep path of long names and
 * a long line with no spaces around a (fake, AWS-documented) access key. */
export const LONG_PATH =
  'services/inventory-reconciliation-worker/configuration/environments/production-eu-west-1/credentials_backup_do_not_commit.env'

export function plantLongFinding(workspace: string) {
  const file = path.join(workspace, LONG_PATH)
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(
    file,
    'INVENTORY_RECONCILIATION_WORKER_UPSTREAM_AWS_ACCESS_KEY_ID_FOR_THE_NIGHTLY_EXPORT_JOB=AKIAIOSFODNN7EXAMPLE' +
      '#rotated-by-the-operations-team-every-ninety-days-see-runbook-section-4.2.1\n',
  )
}

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: string[]; failureSummary?: string }[]
}

/** Runs axe-core on the whole page; returns the violations of impact
 * serious or critical (and, in `all`, every violation). */
export async function axeViolations(page: Page): Promise<{ serious: AxeViolation[]; all: AxeViolation[] }> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axePath })
  const all = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: unknown[] }> } }).axe
    const r = await axe.run(document, { resultTypes: ['violations'] })
    return (r.violations as AxeViolation[]).map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String), failureSummary: n.failureSummary })),
    }))
  })
  return { serious: all.filter((v) => v.impact === 'serious' || v.impact === 'critical'), all }
}

/** One line per violating element: "id (impact): target — help". */
export function formatViolations(vs: AxeViolation[]): string {
  return vs
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${v.help}\n    ${(n.failureSummary ?? '').replace(/\n/g, '\n    ')}`))
    .join('\n')
}

/** The innermost elements that reach past the right edge of the viewport
 * (tag, classes, data-testid, position), for a failing layout test: those
 * inside a box that scrolls sideways are listed too (an absolutely
 * positioned one may escape its box), the positioned ones first. */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth
    const out: { text: string; positioned: boolean }[] = []
    for (const el of document.body.querySelectorAll<HTMLElement>('*')) {
      const r = el.getBoundingClientRect()
      if (r.width === 0 || r.right <= width + 0.5) continue
      if ([...el.children].some((c) => c.getBoundingClientRect().right > width + 0.5)) continue
      const position = getComputedStyle(el).position
      const id = el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : ''
      const classes = [...el.classList].map((c) => '.' + c).join('')
      out.push({
        text: `${el.tagName.toLowerCase()}${classes}${id} (${position}) right=${Math.round(r.right)}`,
        positioned: position === 'absolute' || position === 'fixed',
      })
    }
    out.sort((a, b) => Number(b.positioned) - Number(a.positioned))
    return out.slice(0, 12).map((o) => o.text)
  })
}
