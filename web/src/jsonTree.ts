// What ResultTree shows of a JSON value: its type, its children with their
// paths, and a one-line summary of a collapsed object or array.
import { isRecord } from './protocol'

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' | 'none'

export function jsonType(v: unknown): JsonType {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (isRecord(v)) return 'object'
  if (typeof v === 'string') return 'string'
  if (typeof v === 'number') return 'number'
  if (typeof v === 'boolean') return 'boolean'
  return 'none'
}

export interface TreeEntry {
  /** The property name, or the index of an array element. */
  key: string
  /** Where it is, e.g. `findings[0].path`: the node's data-path. */
  path: string
  value: unknown
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** The path of child `key` of the node at `parent` ('' for the root). */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`
  if (IDENTIFIER.test(key)) return parent ? `${parent}.${key}` : key
  return `${parent}[${JSON.stringify(key)}]`
}

/** The children of an object or array, in order; [] for anything else. */
export function entriesOf(v: unknown, path: string): TreeEntry[] {
  if (Array.isArray(v)) return v.map((value: unknown, i) => ({ key: String(i), path: childPath(path, i), value }))
  if (isRecord(v)) return Object.entries(v).map(([key, value]) => ({ key, path: childPath(path, key), value }))
  return []
}

/** How many children an object or array has; 0 for anything else. */
export function sizeOf(v: unknown): number {
  if (Array.isArray(v)) return v.length
  if (isRecord(v)) return Object.keys(v).length
  return 0
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

/** "{2 keys}", "[3 items]", "{}" or "[]"; '' for a value that is neither. */
export function summaryOf(v: unknown): string {
  const n = sizeOf(v)
  if (Array.isArray(v)) return n ? `[${plural(n, 'item', 'items')}]` : '[]'
  if (isRecord(v)) return n ? `{${plural(n, 'key', 'keys')}}` : '{}'
  return ''
}

/** Strings longer than this show their start and a button to show all of them. */
export const LONG_STRING = 300
/** Objects and arrays show this many children, then a button for more. */
export const CHILDREN_PAGE = 100
/** Nodes this deep or deeper start collapsed; so do ones with more children than OPEN_MAX_SIZE. */
export const OPEN_DEPTH = 2
export const OPEN_MAX_SIZE = 20
