// The cue list as immutable data: every edit makes a new frozen cue and a new frozen array that
// shares the unchanged cues with the previous one (cheap snapshots for undo, cheap diffs).
// Each cue carries a page-only `id` (stable across edits, never sent to the server).

let lastId = 0
const nextId = () => `c${++lastId}`

export const LANGS = ['zh', 'en']
export const otherLanguage = lang => (lang === 'zh' ? 'en' : 'zh')
export const targetOf = cue => otherLanguage(cue.spoken)

function make (fields) {
  return Object.freeze(fields)
}

/** Server cues -> page cues (frozen, with ids). */
export function fromWire (list, spoken = 'en') {
  return Object.freeze(list.map(c => make({
    ...c,
    start: Number(c.start),
    end: Number(c.end),
    zh: c.zh ?? '',
    en: c.en ?? '',
    spoken: c.spoken === 'zh' || c.spoken === 'en' ? c.spoken : spoken,
    words: c.words ?? null,
    stale: Boolean(c.stale),
    id: nextId()
  })))
}

/** A cue the server accepts as a cue (its /api/check, /ass, /translate, /suggest, /draft and
 *  /save refuse a list holding any other): times in order from 0, and some text. A cue being
 *  made (inserted empty, or its start typed past its end) is valid again once finished. */
export function isValid (c) {
  return Number.isFinite(c.start) && Number.isFinite(c.end) && c.start >= 0 && c.start < c.end &&
    Boolean(c.zh.trim() || c.en.trim())
}

/** What is wrong with a cue the server would refuse, as a verdict for its row. */
export function localVerdict (c) {
  const problems = []
  if (!(c.start < c.end)) problems.push('ends before it starts')
  if (c.start < 0) problems.push('starts before 0')
  if (!(c.zh.trim() || c.en.trim())) problems.push('no text yet')
  return { problems, duration: Math.round((c.end - c.start) * 1000) / 1000, gap: null, local: true }
}

/** The valid cues (to send) and, for each, its index in `cues`. */
export function validOnly (cues) {
  const sent = []
  const at = []
  cues.forEach((c, i) => { if (isValid(c)) { sent.push(c); at.push(i) } })
  return { sent, at }
}

/** A page cue as the server takes it (no id). */
export function wire (cue) {
  const { id, ...rest } = cue
  return rest
}

export const wireAll = cues => cues.map(wire)

export function edit (cue, patch) {
  return make({ ...cue, ...patch })
}

/** The cue with `lang`'s line set to `text`; editing the spoken line makes its translation stale. */
export function withText (cue, lang, text) {
  if (cue[lang] === text) return cue
  return edit(cue, { [lang]: text, stale: cue.stale || lang === cue.spoken })
}

export function newCue (start, end, spoken) {
  return make({ start, end, zh: '', en: '', spoken, words: null, stale: false, id: nextId() })
}

/** `a` and the cue after it as one: times min/max, English joined with a space, Chinese without. */
export function merged (a, b) {
  const en = [a.en.trim(), b.en.trim()].filter(Boolean).join(' ')
  const zh = a.zh.trim() + b.zh.trim()
  return make({
    ...a,
    start: Math.min(a.start, b.start),
    end: Math.max(a.end, b.end),
    zh,
    en,
    words: a.words && b.words ? [...a.words, ...b.words] : null, // times for only part of the line would mislead
    stale: a.stale || b.stale
  })
}

/** Index of the cue showing at time t (the last one starting at or before t that is still up), else -1. */
export function indexAt (cues, t) {
  let lo = 0
  let hi = cues.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (cues[mid].start <= t) { found = mid; lo = mid + 1 } else hi = mid - 1
  }
  for (let i = found; i >= 0 && i > found - 3; i--) if (cues[i].start <= t && t < cues[i].end) return i
  return -1
}

/** Where a cue starting at t goes to keep the list in time order. */
export function insertionIndex (cues, t) {
  let lo = 0
  let hi = cues.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cues[mid].start <= t) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Every literal occurrence of `find` replaced in both languages: {cues, count, changed}. */
export function replacedAll (cues, find, replacement) {
  if (!find) return { cues, count: 0, changed: 0 }
  let count = 0
  let changed = 0
  const next = cues.map(cue => {
    let out = cue
    for (const lang of LANGS) {
      const parts = out[lang].split(find)
      if (parts.length > 1) {
        count += parts.length - 1
        out = withText(out, lang, parts.join(replacement))
      }
    }
    if (out !== cue) changed++
    return out
  })
  return { cues: changed ? Object.freeze(next) : cues, count, changed }
}

/** What changed from `prev` to `next`: same ids in the same order -> the indices of replaced
 *  cues; else (cues added, removed or moved) structural, with the range [lo, hi] of `next`
 *  that differs. */
export function diffCues (prev, next) {
  if (prev.length === next.length) {
    const changed = []
    let same = true
    for (let i = 0; i < next.length; i++) {
      if (prev[i] !== next[i]) {
        if (prev[i].id !== next[i].id) { same = false; break }
        changed.push(i)
      }
    }
    if (same) return { structural: false, changed, lo: changed[0] ?? 0, hi: changed[changed.length - 1] ?? -1 }
  }
  let lo = 0
  while (lo < prev.length && lo < next.length && prev[lo] === next[lo]) lo++
  let a = prev.length - 1
  let b = next.length - 1
  while (a >= lo && b >= lo && prev[a] === next[b]) { a--; b-- }
  return { structural: true, changed: null, lo, hi: b }
}

function sameWords (a, b) {
  if (a === b) return true
  if (!a || !b || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    if (x === y) continue
    if (!x || !y || x.length !== y.length) return false
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false
  }
  return true
}

/** Same cues (times, text, flags) ignoring ids: for "anything to save?" and draft offers. */
export function sameCues (a, b) {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    if (x === y) continue
    if (x.start !== y.start || x.end !== y.end || x.zh !== y.zh || x.en !== y.en ||
        x.spoken !== y.spoken || Boolean(x.stale) !== Boolean(y.stale) ||
        !sameWords(x.words, y.words)) return false
  }
  return true
}
