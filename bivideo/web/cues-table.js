// The cue list: one row per cue (Chinese and English side by side, both always fully shown),
// built once with a DocumentFragment and then updated a row at a time. Cue text only ever goes
// into the DOM as form values and text nodes.

import { formatTime, parseTime } from './timefmt.js'
import { LANGS } from './cues.js'

const LABELS = { start: 'Start', end: 'End', zh: 'Chinese', en: 'English' }
const LIMITS = { en: { width: 42, cps: 20 }, zh: { width: 16, cps: 9 } }
export const COLUMNS = ['start', 'end', 'zh', 'en']

function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

function cell (className) {
  const node = el('div', `cell ${className}`)
  node.setAttribute('role', 'cell')
  return node
}

/** The row skeleton, cloned for every cue (no cue text in it). */
function rowTemplate () {
  const row = el('div', 'row')
  row.setAttribute('role', 'row')
  const num = cell('num')
  const play = el('button', 'play')
  play.type = 'button'
  play.append(el('span', 'play-icon', '▶'), el('span', 'n'))
  num.append(play, el('div', 'flags'))
  const times = cell('times')
  for (const which of ['start', 'end']) {
    const input = el('input', `time ${which}`)
    input.type = 'text'
    input.autocomplete = 'off'
    input.spellcheck = false
    input.dataset.col = which
    times.append(input)
  }
  row.append(num, times)
  for (const lang of LANGS) {
    const c = cell(`text ${lang}`)
    const tags = el('div', 'tags')
    const area = el('textarea', 'line')
    area.lang = lang === 'zh' ? 'zh-Hans' : 'en'
    area.rows = 1
    area.spellcheck = lang === 'en'
    area.dataset.col = lang
    c.append(tags, area)
    row.append(c)
  }
  row.append(cell('verdict'))
  return row
}

function fmt (x, digits = 1) {
  return Number.isInteger(x) ? String(x) : x.toFixed(digits)
}

/** Verdict -> DOM: per language width/limit and reading speed, duration, gap; problems in red. */
function verdictNodes (verdict) {
  const problems = new Set(verdict.problems || [])
  const lines = []
  const part = (text, bad, title) => {
    const span = el('span', bad ? 'bad' : '', text)
    if (title) span.title = title
    return span
  }
  for (const lang of ['zh', 'en']) {
    const v = verdict[lang]
    if (!v) continue
    const line = el('div', 'vline')
    const limits = LIMITS[lang]
    const wide = v.width > limits.width
    const fast = v.cps > limits.cps
    line.append(
      part(`${lang.toUpperCase()} ${fmt(v.width)}/${limits.width}`, wide, 'line length (display width / limit)'),
      document.createTextNode(' · '),
      part(`${fmt(v.cps)} cps${fast ? ` > ${limits.cps}` : ''}`, fast, 'reading speed (characters per second)'))
    lines.push(line)
  }
  const timing = el('div', 'vline')
  if (verdict.local) return [...lines, ...[...problems].map(p => el('div', 'vline bad', p))]
  timing.append(part(`${fmt(verdict.duration, 2)} s`, problems.has('duration'), 'duration (5/6 s to 7 s)'))
  if (verdict.gap !== null && verdict.gap !== undefined) {
    const overlap = problems.has('overlap')
    timing.append(document.createTextNode(' · '),
      part(overlap ? `overlap ${fmt(-verdict.gap, 2)} s` : `gap ${fmt(verdict.gap, 2)} s`,
        overlap || problems.has('gap'), 'gap to the next cue (at least 2 frames; under 0.5 s is closed)'))
  }
  lines.push(timing)
  if (problems.has('lines per language')) lines.push(el('div', 'vline bad', 'too many lines'))
  const shown = new Set(['line length', 'reading speed', 'duration', 'gap', 'overlap', 'lines per language'])
  for (const problem of problems) if (!shown.has(problem)) lines.push(el('div', 'vline bad', problem))
  if (!problems.size) lines.push(el('div', 'vline ok', '✓ meets the standard'))
  return lines
}

export class CueTable {
  /**
   * @param {HTMLElement} body the rowgroup the rows go in
   * @param {HTMLElement} scroller the element that scrolls the rows
   * @param {object} on handlers: text(id, lang, value, event), timeInput(id, which, value, event),
   *   timeCommit(id, which, value), focus(id, col), blur(id, col), play(id), rowClick(id)
   */
  constructor (body, scroller, on) {
    this.body = body
    this.scroller = scroller
    this.on = on
    this.rows = new Map() // id -> row element
    this.template = rowTemplate()
    this.currentId = null
    this.playingId = null
    this.flagged = { silence: new Set(), early: new Set() }

    body.addEventListener('input', e => {
      const row = e.target.closest('.row')
      if (!row) return
      const col = e.target.dataset.col
      if (col === 'zh' || col === 'en') this.on.text(row.dataset.id, col, e.target.value, e)
      else if (col === 'start' || col === 'end') this.on.timeInput(row.dataset.id, col, e.target.value, e)
    })
    body.addEventListener('change', e => {
      const row = e.target.closest('.row')
      const col = e.target.dataset.col
      if (row && (col === 'start' || col === 'end')) this.on.timeCommit(row.dataset.id, col, e.target.value)
    })
    body.addEventListener('keydown', e => {
      const col = e.target.dataset?.col
      if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey && !e.altKey && (col === 'start' || col === 'end')) {
        e.preventDefault()
        this.on.timeCommit(e.target.closest('.row').dataset.id, col, e.target.value)
      }
    })
    body.addEventListener('focusin', e => {
      const row = e.target.closest('.row')
      if (row) this.on.focus(row.dataset.id, e.target.dataset?.col || null)
    })
    body.addEventListener('focusout', e => {
      const row = e.target.closest('.row')
      if (row && e.target.dataset?.col) this.on.blur(row.dataset.id, e.target.dataset.col)
    })
    body.addEventListener('click', e => {
      const row = e.target.closest('.row')
      if (!row) return
      if (e.target.closest('.play')) this.on.play(row.dataset.id)
      else if (!e.target.closest('input, textarea, button, a')) this.on.rowClick(row.dataset.id)
    })
  }

  makeRow (id) {
    const row = this.template.cloneNode(true)
    row.dataset.id = id
    // by position in the template (much faster than querying a thousand rows)
    const [num, times, zh, en, verdict] = row.children
    row._f = {
      play: num.children[0], n: num.children[0].children[1], flags: num.children[1],
      start: times.children[0], end: times.children[1],
      zh: zh.children[1], en: en.children[1], verdict,
      tags: { zh: zh.children[0], en: en.children[0] }
    }
    this.rows.set(id, row)
    return row
  }

  number (row, n) {
    const f = row._f
    row._n = n
    f.n.textContent = n
    f.play.setAttribute('aria-label', `Play ${n}`)
    for (const col of COLUMNS) f[col].setAttribute('aria-label', `${LABELS[col]} ${n}`)
  }

  updateRow (row, cue) {
    const f = row._f
    const active = document.activeElement
    for (const which of ['start', 'end']) {
      const input = f[which]
      if (active === input && parseTime(input.value) === cue[which]) continue // the typist's own text
      const text = formatTime(cue[which])
      if (input.value !== text) input.value = text
      input.removeAttribute('aria-invalid')
    }
    for (const lang of LANGS) if (f[lang].value !== cue[lang]) f[lang].value = cue[lang]
    const stale = cue.stale ? 'true' : 'false'
    if (row.dataset.stale !== stale || row.dataset.spoken !== cue.spoken) {
      row.dataset.stale = stale
      row.dataset.spoken = cue.spoken
      // the marker sits on the translation (the language not spoken); only present when stale
      const target = cue.spoken === 'en' ? 'zh' : 'en'
      row._stale?.remove()
      row._stale = null
      if (cue.stale) {
        row._stale = el('span', 'tag stale-tag', 'translation stale')
        row._stale.title = 'The spoken line was edited after this translation: Re-translate, or fix it by hand'
        f.tags[target].append(row._stale)
      }
    }
    row._cue = cue
  }

  /** Show `cues`. With a non-structural diff only the changed rows are touched. */
  render (cues, diff = null) {
    if (diff && !diff.structural) {
      for (const i of diff.changed) this.updateRow(this.rows.get(cues[i].id), cues[i])
      return
    }
    if (this.rows.size === 0) {
      const fragment = document.createDocumentFragment()
      cues.forEach((cue, i) => {
        const row = this.makeRow(cue.id)
        this.number(row, i + 1)
        this.updateRow(row, cue)
        fragment.append(row)
      })
      this.body.append(fragment)
      return
    }
    const keep = new Set(cues.map(c => c.id))
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) { row.remove(); this.rows.delete(id) }
    }
    let ref = this.body.firstElementChild
    cues.forEach((cue, i) => {
      const row = this.rows.get(cue.id) || this.makeRow(cue.id)
      if (row._n !== i + 1) this.number(row, i + 1)
      if (row._cue !== cue) this.updateRow(row, cue)
      if (row !== ref) this.body.insertBefore(row, ref)
      else ref = ref.nextElementSibling
    })
    if (this.currentId && !this.rows.has(this.currentId)) this.currentId = null
    if (this.playingId && !this.rows.has(this.playingId)) this.playingId = null
  }

  /** Times shown while a region is being dragged (state changes when the drag ends). */
  showTimes (id, start, end) {
    const row = this.rows.get(id)
    if (!row) return
    row._f.start.value = formatTime(start)
    row._f.end.value = formatTime(end)
  }

  markInvalid (id, which, invalid) {
    const input = this.rows.get(id)?._f[which]
    if (!input) return
    if (invalid) input.setAttribute('aria-invalid', 'true')
    else input.removeAttribute('aria-invalid')
  }

  /** Put the cue's own time back in the field (after a bad entry). */
  resetTime (id, which) {
    const row = this.rows.get(id)
    if (!row) return
    row._f[which].value = formatTime(row._cue[which])
    row._f[which].removeAttribute('aria-invalid')
  }

  setVerdict (id, verdict) {
    const row = this.rows.get(id)
    if (!row) return
    row._f.verdict.replaceChildren(...verdictNodes(verdict))
    const bad = verdict.problems && verdict.problems.length ? 'true' : 'false'
    if (row.dataset.problems !== bad) row.dataset.problems = bad
    row._f.verdict.title = verdict.problems?.length ? `Breaks: ${verdict.problems.join(', ')}` : 'Meets the standard'
  }

  /** Markers from /api/sync: cues over silence, cues shown early (sets of ids). */
  setSyncFlags (silence, early) {
    for (const [kind, next] of [['silence', silence], ['early', early]]) {
      const before = this.flagged[kind]
      for (const id of before) if (!next.has(id)) this.flag(id, kind, false)
      for (const id of next) if (!before.has(id)) this.flag(id, kind, true)
      this.flagged[kind] = new Set(next)
    }
  }

  flag (id, kind, on) {
    const row = this.rows.get(id)
    if (!row) return
    row.querySelector(`.flag-${kind}`)?.remove()
    if (on) {
      row.setAttribute(`data-${kind}`, 'true')
      const flag = el('span', `flag flag-${kind}`, kind === 'silence' ? 'over silence' : 'early')
      flag.title = kind === 'silence' ? 'On screen while nobody speaks' : 'Appears more than 0.15 s before its speech'
      row._f.flags.append(flag)
    } else {
      row.removeAttribute(`data-${kind}`)
    }
  }

  setCurrent (id) {
    if (id === this.currentId) return
    const old = this.rows.get(this.currentId)
    if (old) { old.removeAttribute('aria-current'); old.removeAttribute('aria-selected') }
    this.currentId = id
    const row = this.rows.get(id)
    if (row) { row.setAttribute('aria-current', 'true'); row.setAttribute('aria-selected', 'true') }
  }

  setPlaying (id, follow) {
    if (id !== this.playingId) {
      this.rows.get(this.playingId)?.classList.remove('playing')
      this.playingId = id
      this.rows.get(id)?.classList.add('playing')
    }
    if (follow && id) this.reveal(id)
  }

  /** Scroll the list (not the page) so the row is in view, a third from the top. */
  reveal (id) {
    const row = this.rows.get(id)
    if (!row) return
    const top = row.offsetTop
    const bottom = top + row.offsetHeight
    const view = this.scroller
    if (top < view.scrollTop + 30 || bottom > view.scrollTop + view.clientHeight) {
      view.scrollTop = Math.max(0, top - view.clientHeight / 3)
    }
  }

  focusField (id, col) {
    const row = this.rows.get(id)
    if (!row) return
    const field = row._f[col] || row._f.en
    field.focus({ preventScroll: true })
    this.reveal(id)
  }

  /** The column of the focused field in the table, if any. */
  focusedColumn () {
    const active = document.activeElement
    return active && this.body.contains(active) ? active.dataset.col || null : null
  }
}
