// The screenshots of docs/web.md (docs/img/*.png), taken from the built app
// served by the real server over a copy of the demo workspace, in Debian's
// chromium. Not a test: run by scripts/screenshots.sh (npx vite-node).
import { mkdirSync, statSync } from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { launchBrowser, repoRoot, startServer } from './harness'
import { finishedAudit, openApp, runningTicker, stopTask, waitingTriage, type ViewOptions } from './views'

const outDir = process.env.SCREENSHOTS_DIR ?? path.join(repoRoot, 'docs/img')
const desktop = { width: 1200, height: 800 }
const phone = { width: 390, height: 844 }
const maxBytes = 300 * 1024

/** Scrolls `selector` to the top of the viewport (as far as the page goes). */
async function scrollTo(page: Page, selector: string) {
  await page.$eval(selector, (e) => e.scrollIntoView({ block: 'start' }))
  // Let the virtualized log render the rows now in view.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
}

const server = await startServer()
const browser = await launchBrowser()
const written: string[] = []
try {
  mkdirSync(outDir, { recursive: true })
  const shoot = async (name: string, options: ViewOptions, reach: (page: Page) => Promise<unknown>) => {
    const page = await openApp(browser, server.url, { viewport: desktop, ...options })
    try {
      await reach(page)
      // No caret or hover noise.
      await page.mouse.move(0, 0)
      const file = path.join(outDir, `${name}.png`)
      await page.screenshot({ path: file, caret: 'hide', animations: 'disabled' })
      const size = statSync(file).size
      console.log(`${path.relative(repoRoot, file)}: ${(size / 1024).toFixed(0)} KB`)
      if (size > maxBytes) throw new Error(`${file} is ${size} bytes, more than ${maxBytes}`)
      written.push(file)
    } finally {
      await stopTask(page).catch(() => {})
      await page.close()
    }
  }

  await shoot('start', {}, async () => {})
  await shoot('running', {}, async (page) => {
    await runningTicker(page)
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress]')?.getAttribute('data-step')) >= 12)
    await scrollTo(page, '[data-testid=task]')
  })
  await shoot('triage', {}, async (page) => {
    await waitingTriage(page)
    await scrollTo(page, '[data-testid=task]')
  })
  await shoot('audit', {}, async (page) => {
    await finishedAudit(page)
    await scrollTo(page, '[data-testid=task]')
  })
  await shoot('phone', { viewport: phone }, async (page) => {
    await finishedAudit(page)
    await scrollTo(page, '[data-testid=task]')
  })
  await shoot('dark', { scheme: 'dark' }, async (page) => {
    await finishedAudit(page)
    await scrollTo(page, '[data-testid=task]')
  })
} finally {
  await browser.close()
  await server.stop()
}
console.log(`${written.length} screenshots in ${path.relative(repoRoot, outDir) || outDir}`)
