// Test harness: the real server binary on port 0 with a temporary
// workspace, a TCP proxy that can cut connections, and Debian's chromium
// driven by playwright-core (never a downloaded browser).
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const repoRoot = path.resolve(webDir, '..')
export const resultsDir = path.join(webDir, 'test-results')
const binary = process.env.SWITCHBOARD_BINARY ?? path.join(repoRoot, 'build/bin/switchboard')
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export interface Server {
  url: string
  port: number
  workspace: string
  /** The directory of the task history's database. */
  dataDir: string
  output: () => string
  /** SIGTERM (a graceful shutdown) by default; SIGKILL for a crash. */
  stop: (signal?: NodeJS.Signals) => Promise<void>
}

export interface ServerOptions {
  /** Keep the task history here (it outlives the server: a restart reads
   * it back); by default a temporary directory removed by stop(). */
  dataDir?: string
}

/** Starts the server on a free port over a copy of the demo workspace, with
 * its task history in a directory of its own (never the current one). */
export async function startServer(extraArgs: string[] = [], options: ServerOptions = {}): Promise<Server> {
  if (!existsSync(binary)) throw new Error(`no server binary at ${binary}; build it with bash scripts/build.sh`)
  if (!existsSync(path.join(webDir, 'dist/index.html'))) throw new Error('web/dist is missing; run npm run build first')
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-e2e-ws-'))
  cpSync(path.join(repoRoot, 'demo-workspace'), workspace, { recursive: true })
  // One more planted problem: a file others may write.
  chmodSync(path.join(workspace, 'app/settings.py'), 0o666)
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'sb-e2e-data-'))
  const child: ChildProcess = spawn(binary, ['--port=0', `--workspace=${workspace}`, `--data-dir=${dataDir}`, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20000)
    const check = () => {
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    }
    child.stdout!.on('data', check)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${out}`))
    })
  })
  return {
    url,
    port: Number(new URL(url).port),
    workspace,
    dataDir,
    output: () => out,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill(signal)
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      rmSync(workspace, { recursive: true, force: true })
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export interface Proxy {
  url: string
  /** Destroys every proxied connection at once, both sides. */
  dropAll: () => number
  /** Connections seen so far. */
  accepted: () => number
  close: () => Promise<void>
}

/** A TCP proxy on a free port in front of `target` (host:port). */
export async function startProxy(targetPort: number): Promise<Proxy> {
  const live = new Set<net.Socket>()
  let accepted = 0
  const server = net.createServer((client) => {
    accepted++
    const upstream = net.connect(targetPort, '127.0.0.1')
    live.add(client)
    live.add(upstream)
    const done = () => {
      client.destroy()
      upstream.destroy()
      live.delete(client)
      live.delete(upstream)
    }
    client.on('error', done).on('close', done)
    upstream.on('error', done).on('close', done)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    dropAll: () => {
      const n = live.size
      for (const s of live) s.destroy()
      live.clear()
      return n
    },
    close: async () => {
      for (const s of live) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}

export interface Browser {
  context: BrowserContext
  newPage: () => Promise<Page>
  close: () => Promise<void>
}

/** Headless chromium with a fresh profile. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`no browser at ${chromiumPath}; apt-get install chromium`)
  const profile = mkdtempSync(path.join(os.tmpdir(), 'sb-e2e-profile-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  })
  return {
    context,
    newPage: async () => {
      const page = await context.newPage()
      page.setDefaultTimeout(15000)
      return page
    },
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(resultsDir, { recursive: true })
  await page.screenshot({ path: path.join(resultsDir, `${name}.png`), fullPage: true })
}

/** Every row of the event log, by seq: the log renders only the rows in view,
 * so this scrolls its box from top to bottom and collects them, then returns
 * to the bottom. Throws when a row shows twice with different types or the
 * log holds a number of events other than the rows seen. */
export async function eventLogRows(page: Page): Promise<{ seq: number; type: string; details: string }[]> {
  return page.$eval('[data-testid=event-scroll]', async (box) => {
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
    const seen = new Map<number, { type: string; details: string }>()
    const collect = () => {
      for (const r of box.querySelectorAll<HTMLElement>('[data-testid=event-row]')) {
        const seq = Number(r.dataset.seq)
        const type = r.dataset.type ?? ''
        const before = seen.get(seq)
        if (before && before.type !== type) throw new Error(`row ${seq} shown as ${before.type} and ${type}`)
        seen.set(seq, { type, details: r.querySelector('.details')?.textContent ?? '' })
      }
    }
    box.scrollTop = 0
    await frame()
    for (;;) {
      collect()
      if (box.scrollTop + box.clientHeight >= box.scrollHeight - 1) break
      box.scrollTop += Math.max(1, box.clientHeight - 24)
      await frame()
    }
    box.scrollTop = box.scrollHeight
    await frame()
    const count = Number(box.closest<HTMLElement>('[data-testid=event-log]')!.dataset.count)
    if (count !== seen.size) throw new Error(`the log holds ${count} events, ${seen.size} rows seen`)
    return [...seen].sort((a, b) => a[0] - b[0]).map(([seq, row]) => ({ seq, ...row }))
  })
}

/** A test file's server and browser: started before its tests, closed after
 * them with every page listed in `pages`. */
export interface Suite {
  server: Server
  browser: Browser
  pages: Page[]
}

/** Registers the hooks that start and close a `Suite` (the server started
 * with `extraArgs`), and returns it; its fields are set once the tests run. */
export function useSuite(extraArgs: string[] = []): Suite {
  const suite = { pages: [] } as unknown as Suite
  beforeAll(async () => {
    suite.server = await startServer(extraArgs)
    suite.browser = await launchBrowser()
  })
  afterAll(async () => {
    for (const p of suite.pages) await p.close().catch(() => {})
    await suite.browser?.close()
    await suite.server?.stop()
  })
  return suite
}

/** Calls the server's HTTP API and returns the JSON body, whatever the status. */
export async function api<T>(server: Server, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(server.url + p, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return (await res.json()) as T
}

/** Polls `fn` every 50 ms until it returns a value; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
