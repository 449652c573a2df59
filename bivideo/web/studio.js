// bivideo studio: the review page's entry point. Loads the talk's state, builds the cue table,
// the waveform and the framed preview, and routes every edit through one path (apply): a new
// immutable cue array, one undo step, then only the affected row, region, verdicts and sync
// marks are updated; the libass preview and the draft follow, debounced.

import { ApiError, getBytes, getJSON, postJSON } from './api.js'
import {
  diffCues, edit, fromWire, indexAt, insertionIndex, isValid, localVerdict, merged, newCue, replacedAll,
  sameCues, targetOf, validOnly, wire, wireAll, withText
} from './cues.js'
import { History } from './history.js'
import { CueTable } from './cues-table.js'
import { Waveform } from './waveform.js'
import { Overlay } from './overlay.js'
import { Status } from './status.js'
import { Suggestions } from './suggest.js'
import { Drafts } from './drafts.js'
import { Burner } from './burn.js'
import { installKeys } from './keys.js'
import { formatTime, isCompleteTime, parseTime } from './timefmt.js'

const $ = id => document.getElementById(id)
const MIN_GAP_FRAMES = 2
const NEW_CUE_SECONDS = 1
const MIN_NEW_CUE = 0.1 // s: shorter than this, a gap has no room for a new cue

let markReady
const studio = {
  ready: new Promise(resolve => { markReady = resolve }),
  timings: {},
  cues: () => wireAll(S.cues)
}
window.studio = studio

/** Page state. cues: the current frozen array; saved: the array the files hold. */
const S = {
  state: null,
  cues: Object.freeze([]),
  saved: null,
  version: null,
  index: new Map(), // id -> index in cues
  currentId: null,
  lastColumn: null,
  stopAt: null,
  burning: false,
  history: null,
  checkSeq: 0,
  checkWanted: new Map(), // id -> latest check request that covers it
  syncTimer: 0,
  syncSeq: 0,
  timeTimer: 0
}

const video = $('video')
const status = new Status($('status'))
let table, wave, overlay, drafts, burner, suggestions

const cueOf = id => S.cues[S.index.get(id)]
const numberOf = id => (S.index.has(id) ? S.index.get(id) + 1 : 0)
const isDirty = () => !sameCues(S.cues, S.saved)
const reindex = () => { S.index = new Map(S.cues.map((c, i) => [c.id, i])) }

// ---------------------------------------------------------------------------------------------
// The one edit path

/**
 * Make `next` the cue list. record: add an undo step (key: coalesce a typing burst);
 * t0: the input event's time, to record how long the edit took to show.
 */
function apply (next, { record = true, key = null, t0 = null } = {}) {
  const prev = S.cues
  if (next === prev) return
  if (!Object.isFrozen(next)) Object.freeze(next)
  if (record) S.history.push(next, key)
  S.cues = next
  const diff = diffCues(prev, next)
  if (diff.structural) reindex()
  table.render(next, diff)
  wave.render(next, diff)

  let timesChanged = diff.structural
  if (diff.structural) {
    recheck(diff.lo - 1, Math.max(diff.hi, diff.lo))
  } else if (diff.changed.length) {
    recheck(diff.changed[0] - 1, diff.changed[diff.changed.length - 1])
    timesChanged = diff.changed.some(i => prev[i].start !== next[i].start || prev[i].end !== next[i].end)
  }
  if (timesChanged) scheduleSync()
  if (S.currentId && !S.index.has(S.currentId)) setCurrent(null)

  if (t0 !== null) studio.timings.lastEdit = performance.now() - t0
  overlay.changed()
  drafts.schedule(next)
  refreshControls()
}

function replaceAt (i, ...cues) {
  const next = S.cues.slice()
  next.splice(i, 1, ...cues)
  return Object.freeze(next)
}

function withCue (i, cue) {
  const next = S.cues.slice()
  next[i] = cue
  return Object.freeze(next)
}

// ---------------------------------------------------------------------------------------------
// Verdicts (/api/check) and sync marks (/api/sync)

/** Re-judge cues lo..hi: send them and the next cue (for the last one's gap). A cue the server
 *  would refuse (no text yet, times reversed) is judged here and left out of the request. */
function recheck (lo, hi) {
  const cues = S.cues
  lo = Math.max(0, lo)
  hi = Math.min(cues.length - 1, hi)
  if (hi < lo) return
  const sent = []
  for (let k = lo; k <= hi; k++) {
    if (isValid(cues[k])) {
      sent.push(cues[k])
    } else {
      S.checkWanted.set(cues[k].id, -1) // an answer on its way is for the cue as it was
      showVerdict(cues[k].id, localVerdict(cues[k]))
    }
  }
  const judged = sent.length
  let after = hi + 1
  while (after < cues.length && !isValid(cues[after])) after++
  if (after < cues.length) sent.push(cues[after])
  if (!judged) return
  const seq = ++S.checkSeq
  for (const c of sent.slice(0, judged)) S.checkWanted.set(c.id, seq)
  postJSON('/api/check', { cues: sent.map(wire) }).then(answer => {
    answer.verdicts.forEach((verdict, k) => {
      if (k >= judged) return
      const id = sent[k].id
      if (S.checkWanted.get(id) !== seq) return // a newer check covers it
      S.checkWanted.delete(id)
      showVerdict(id, verdict)
    })
  }).catch(error => status.error(`Could not check cues against the standard: ${error.message}`))
}

function showVerdict (id, verdict) {
  table.setVerdict(id, verdict)
  wave.setProblem(id, verdict.problems.length > 0)
}

function scheduleSync () {
  clearTimeout(S.syncTimer)
  S.syncTimer = setTimeout(sync, 150)
}

function sync () {
  const cues = S.cues
  const seq = ++S.syncSeq
  postJSON('/api/sync', { cues: cues.map(c => [c.start, c.end]) }).then(answer => {
    if (seq !== S.syncSeq) return
    const ids = list => new Set((list || []).map(i => cues[i]?.id).filter(Boolean))
    const silent = ids(answer.over_silence)
    table.setSyncFlags(silent, ids(answer.early))
    wave.setSync(answer.uncovered || [], silent)
    const gaps = (answer.uncovered || []).length
    $('sync-summary').textContent = gaps || silent.size
      ? `${gaps} stretch${gaps === 1 ? '' : 'es'} of speech without a cue · ${silent.size} cue${silent.size === 1 ? '' : 's'} over silence`
      : 'Every stretch of speech has a cue'
  }).catch(error => status.error(`Could not compare cues with the speech: ${error.message}`))
}

// ---------------------------------------------------------------------------------------------
// Current cue, playback

function setCurrent (id) {
  S.currentId = id
  table.setCurrent(id)
  wave.setCurrent(id)
  refreshControls()
}

function seek (t) {
  if (Number.isFinite(t)) video.currentTime = Math.max(0, t)
}

/** Put the video on the cue, one frame in: the frame shown at the cue's very start time began
 *  a little before it, and shows (as the burned video would) no subtitle yet. */
function showCue (cue) {
  seek(cue.start + Math.min(1 / (S.state.video.fps || 25), (cue.end - cue.start) / 2))
}

function playCue (id) {
  const cue = cueOf(id)
  if (!cue) return
  setCurrent(id)
  S.stopAt = cue.end
  seek(cue.start)
  video.play().catch(() => {})
}

function togglePlay () {
  if (video.paused) {
    S.stopAt = null
    video.play().catch(error => status.error(`Cannot play: ${error.message}`))
  } else {
    video.pause()
  }
}

function onTime () {
  const t = video.currentTime
  $('clock').textContent = formatTime(t)
  overlay?.tick(t)
  if (S.stopAt !== null && !video.paused && t >= S.stopAt) {
    S.stopAt = null
    video.pause()
  }
  if (!table) return
  const i = indexAt(S.cues, t)
  const id = i >= 0 ? S.cues[i].id : null
  if (id !== table.playingId) table.setPlaying(id, !video.paused && table.focusedColumn() === null)
}

function playbackLoop () {
  onTime()
  if (!video.paused) requestAnimationFrame(playbackLoop)
}

/** Alt+Up / Alt+Down: the previous / next cue, same column, video there. */
function step (delta) {
  if (!S.cues.length) return
  const column = table.focusedColumn() || S.lastColumn || S.cues[0].spoken
  let i = S.currentId ? S.index.get(S.currentId) : indexAt(S.cues, video.currentTime)
  i = i === undefined || i < 0 ? (delta > 0 ? 0 : S.cues.length - 1) : Math.min(S.cues.length - 1, Math.max(0, i + delta))
  const cue = S.cues[i]
  setCurrent(cue.id)
  showCue(cue)
  table.focusField(cue.id, column)
  wave.reveal(cue)
}

// ---------------------------------------------------------------------------------------------
// Table handlers

const tableHandlers = {
  text (id, lang, value, event) {
    const i = S.index.get(id)
    const cue = S.cues[i]
    const next = withText(cue, lang, value)
    if (next !== cue) apply(withCue(i, next), { key: `${id}:${lang}`, t0: event.timeStamp })
  },
  timeInput (id, which, value, event) {
    clearTimeout(S.timeTimer)
    const t = parseTime(value)
    table.markInvalid(id, which, t === null)
    if (t === null) return
    if (isCompleteTime(value)) setTime(id, which, t, event.timeStamp)
    else S.timeTimer = setTimeout(() => setTime(id, which, t), 700) // "1", "12", "12.5": wait for the rest
  },
  timeCommit (id, which, value) {
    clearTimeout(S.timeTimer)
    const t = parseTime(value)
    if (t === null) {
      table.markInvalid(id, which, true)
      status.error(`“${value}” is not a time: write m:ss.mmm, h:mm:ss.mmm or seconds.`)
      return
    }
    setTime(id, which, t)
    S.history.seal()
    table.resetTime(id, which) // written out in full
  },
  focus (id, column) {
    if (column) S.lastColumn = column
    if (id !== S.currentId) {
      S.history.seal()
      setCurrent(id)
      const cue = cueOf(id)
      // show the cue being edited in the preview (not while the talk plays on)
      if (cue && video.paused && !(cue.start < video.currentTime && video.currentTime < cue.end)) showCue(cue)
    }
  },
  blur (id, column) {
    S.history.seal()
    if (column === 'start' || column === 'end') {
      const cue = cueOf(id)
      if (cue && parseTime(table.rows.get(id)._f[column].value) !== null) table.resetTime(id, column)
    }
  },
  play: playCue,
  rowClick (id) {
    setCurrent(id)
    const cue = cueOf(id)
    if (cue && video.paused) showCue(cue)
  }
}

function setTime (id, which, t, t0 = null) {
  const i = S.index.get(id)
  if (i === undefined) return
  const cue = S.cues[i]
  if (cue[which] === t) return
  apply(withCue(i, edit(cue, { [which]: t })), { key: `${id}:${which}`, t0 })
}

// ---------------------------------------------------------------------------------------------
// Actions

function undo () {
  clearTimeout(S.timeTimer) // a time half typed is dropped, not applied after the undo
  const state = S.history.undo()
  if (state) apply(state, { record: false })
  else status.say('Nothing to undo.')
}

function redo () {
  clearTimeout(S.timeTimer)
  const state = S.history.redo()
  if (state) apply(state, { record: false })
  else status.say('Nothing to redo.')
}

async function split () {
  const t = video.currentTime
  let cue = S.currentId ? cueOf(S.currentId) : null
  if (!cue || !(cue.start < t && t < cue.end)) {
    const i = indexAt(S.cues, t)
    if (i < 0) {
      status.error(`The playhead (${formatTime(t)}) is not inside ${cue ? `cue ${numberOf(cue.id)}` : 'a cue'}: nothing to split.`)
      return
    }
    cue = S.cues[i]
  }
  try {
    const answer = await postJSON('/api/split', { cue: wire(cue), at: t })
    const i = S.index.get(cue.id)
    if (i === undefined || S.cues[i] !== cue) {
      status.error('The cue changed while it was being split: try again.')
      return
    }
    const parts = fromWire(answer.cues, S.state.spoken)
    apply(replaceAt(i, ...parts))
    setCurrent(parts[0].id)
    status.say(`Split cue ${i + 1} at ${formatTime(t)}; both halves' translations are marked stale.`)
  } catch (error) {
    status.error(`Not split: ${error.message}`)
  }
}

function mergeWithNext () {
  const i = S.index.get(S.currentId)
  if (i === undefined) return status.error('Select a cue first (click its row).')
  if (i + 1 >= S.cues.length) return status.error('The last cue has no next cue to merge with.')
  const next = S.cues.slice()
  next.splice(i, 2, merged(S.cues[i], S.cues[i + 1]))
  apply(Object.freeze(next))
  status.say(`Merged cues ${i + 1} and ${i + 2}.`)
}

function deleteCue () {
  const i = S.index.get(S.currentId)
  if (i === undefined) return status.error('Select a cue first (click its row).')
  apply(replaceAt(i))
  const neighbour = S.cues[i] || S.cues[i - 1]
  setCurrent(neighbour ? neighbour.id : null)
  status.say(`Deleted cue ${i + 1}. Undo brings it back.`)
}

/** A new empty cue: after the current one, in the gap before the next (at the playhead if it
 *  is in that gap), else at the playhead; 1 s or what fits. Cues chained with no room between
 *  them: the current cue's last part (up to 1 s, at most half of it) becomes the new cue. */
function insertCue () {
  const gap = MIN_GAP_FRAMES / (S.state.video.fps || 25)
  const duration = S.state.video.duration
  const t = video.currentTime
  const room = start => {
    const k = insertionIndex(S.cues, start)
    const previous = S.cues[k - 1]
    if (previous && previous.end > start) return null // inside a cue
    const limit = S.cues[k] ? S.cues[k].start - gap : duration
    const end = Math.min(start + NEW_CUE_SECONDS, limit)
    return end - start >= MIN_NEW_CUE ? { k, start, end } : null
  }
  const i = S.index.get(S.currentId)
  let place = null
  if (i !== undefined) {
    const after = S.cues[i].end + gap
    const nextStart = S.cues[i + 1] ? S.cues[i + 1].start : duration
    place = (t > after && t < nextStart && room(t)) || room(after)
  }
  place = place || room(t)
  const ms = x => Math.round(x * 1000) / 1000
  const next = S.cues.slice()
  let note = ''
  if (!place && i !== undefined && S.cues[i].end - S.cues[i].start >= 2 * MIN_NEW_CUE + gap) {
    const cur = S.cues[i]
    const start = ms(Math.max(cur.end - NEW_CUE_SECONDS, (cur.start + cur.end + gap) / 2))
    next[i] = edit(cur, { end: ms(start - gap) })
    place = { k: i + 1, start, end: cur.end }
    note = ` (taken from the end of cue ${i + 1}: there was no gap)`
  }
  if (!place) {
    status.error(`No room for a new cue at the playhead (${formatTime(t)}): select a cue or move the playhead to a gap.`)
    return
  }
  const cue = newCue(ms(place.start), ms(place.end), S.state.spoken)
  next.splice(place.k, 0, cue)
  apply(Object.freeze(next))
  setCurrent(cue.id)
  table.focusField(cue.id, cue.spoken)
  status.say(`Inserted cue ${place.k + 1} at ${formatTime(cue.start)}${note}. Type its line.`)
}

function staleIndices () {
  const out = []
  S.cues.forEach((c, i) => { if (c.stale) out.push(i) })
  return out
}

async function retranslate () {
  const stale = staleIndices()
  const current = S.index.get(S.currentId)
  const indices = stale.length ? stale : current !== undefined ? [current] : []
  if (!indices.length) return status.error('Select a cue to re-translate (nothing is stale).')
  const snapshot = S.cues
  const button = $('retranslate')
  button.disabled = true
  status.say(`Re-translating ${stale.length ? `${stale.length} stale cue${stale.length === 1 ? '' : 's'}` : `cue ${current + 1}`}…`)
  try {
    // only cues the server takes: an unfinished one (no text yet) would fail the whole request
    const { sent: valid, at } = validOnly(snapshot)
    const wanted = indices.map(i => at.indexOf(i)).filter(k => k >= 0)
    if (!wanted.length) throw new Error('the cue has no text to translate yet')
    const answer = await postJSON('/api/translate', { cues: wireAll(valid), indices: wanted })
    const next = S.cues.slice()
    let count = 0
    for (const { index, text } of answer.translations || []) {
      const sent = valid[index]
      const j = sent ? S.index.get(sent.id) : undefined
      if (j === undefined) continue
      const cue = next[j]
      // still stale if its spoken line was edited again while the translator worked
      const stillStale = cue[cue.spoken] !== sent[sent.spoken]
      next[j] = edit(cue, { [targetOf(cue)]: text, stale: stillStale })
      count++
    }
    apply(Object.freeze(next))
    status.say(`Re-translated ${count} cue${count === 1 ? '' : 's'}.`, 'ok')
  } catch (error) {
    status.error(`Re-translate failed: ${error.message}. Nothing was changed.`)
  } finally {
    refreshControls()
  }
}

async function suggestFixes () {
  if (!S.state.llm) return
  const snapshot = S.cues
  const button = $('suggest')
  button.disabled = true
  status.say('Asking the language model to proofread the spoken lines…')
  try {
    const { sent } = validOnly(snapshot)
    const answer = await postJSON('/api/suggest', { cues: wireAll(sent) })
    const items = (answer.suggestions || [])
      .filter(s => sent[s.index])
      .map(s => ({ id: sent[s.index].id, language: s.language, before: s.before, after: s.after, why: s.why }))
    suggestions.show(items)
    status.say(items.length ? `${items.length} suggestion${items.length === 1 ? '' : 's'}: review them below.` : 'No suggestions: the lines look fine.', 'ok')
  } catch (error) {
    status.error(`No suggestions: ${error.message}`)
  } finally {
    refreshControls()
  }
}

/** Accepted suggestions -> one undo step; the set of those applied. */
function acceptSuggestions (items) {
  const next = S.cues.slice()
  const applied = new Set()
  for (const item of items) {
    const j = S.index.get(item.id)
    if (j === undefined) continue
    const cue = next[j]
    const text = cue[item.language]
    let after = null
    if (text === item.before) after = item.after
    else if (item.before && text.includes(item.before)) after = text.replace(item.before, item.after)
    if (after === null) continue
    next[j] = withText(cue, item.language, after)
    applied.add(item)
  }
  if (applied.size) {
    apply(Object.freeze(next))
    status.say(`Accepted ${applied.size} suggestion${applied.size === 1 ? '' : 's'}.`, 'ok')
  }
  return applied
}

function replaceAll (event) {
  event.preventDefault()
  const find = $('find').value
  if (!find) return status.error('Type the text to find first.')
  const { cues, count, changed } = replacedAll(S.cues, find, $('replace').value)
  if (!count) return status.say(`No “${find}” in any cue.`)
  apply(cues)
  status.say(`Replaced ${count} occurrence${count === 1 ? '' : 's'} in ${changed} cue${changed === 1 ? '' : 's'}.`, 'ok')
}

// ---------------------------------------------------------------------------------------------
// Save, reload, drafts

async function save ({ overwrite = false } = {}) {
  if (!isDirty()) {
    status.say('Nothing to save: the files already hold these cues.')
    return true
  }
  const sent = S.cues
  $('save').disabled = true
  try {
    const answer = await postJSON('/api/save', { version: S.version, cues: wireAll(sent), overwrite })
    S.version = answer.version
    S.saved = sent
    if (!isDirty()) drafts.clearLocal()
    status.say(answer.unchanged ? 'Saved: the files already held these cues.' : `Saved ${(answer.written || []).join(', ')}.`, 'ok')
    return true
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      status.say(`Not saved: ${error.message}.`, 'error')
      status.offer([
        { label: 'Reload', onClick: reload, title: 'Load the files from disk (Undo brings your edits back)' },
        { label: 'Overwrite', onClick: () => save({ overwrite: true }), title: 'Write your cues over the changed files' }
      ])
    } else {
      status.error(`Not saved: ${error.message}`)
    }
    return false
  } finally {
    refreshControls()
  }
}

async function reload () {
  try {
    const state = await getJSON('/api/state', { fresh: true })
    const fresh = fromWire(state.cues, state.spoken)
    S.version = state.version
    S.saved = fresh
    apply(fresh)
    status.say('Reloaded the cues from the files. Undo brings your edits back; Save then overwrites.', 'ok')
  } catch (error) {
    status.error(`Not reloaded: ${error.message}`)
  }
}

function offerDraft (state) {
  const local = drafts.local(state.version)
  const candidates = [state.draft, local].filter(d => d && Array.isArray(d.cues))
  if (!candidates.length) return
  const newest = candidates.reduce((a, b) => (Date.parse(b.saved || 0) > Date.parse(a.saved || 0) ? b : a))
  const cues = fromWire(newest.cues, state.spoken)
  if (sameCues(cues, S.cues)) return
  const when = newest.saved ? new Date(newest.saved).toLocaleString() : 'an earlier session'
  status.say(`There are unsaved edits from ${when}.`, 'info')
  status.offer([
    {
      label: 'Restore draft',
      onClick: () => {
        apply(cues)
        status.say('Draft restored. Save writes it to the subtitle files.', 'ok')
      }
    },
    {
      label: 'Discard draft',
      onClick: () => {
        drafts.clearLocal()
        postJSON('/api/draft', { version: S.version, cues: wireAll(S.saved) }).catch(() => {})
        status.say('Draft discarded.')
      }
    }
  ])
}

// ---------------------------------------------------------------------------------------------
// Controls

function refreshControls () {
  const dirty = isDirty()
  const current = S.index.get(S.currentId)
  const stale = S.cues.reduce((n, c) => n + (c.stale ? 1 : 0), 0)
  $('save').disabled = !dirty
  $('save').title = dirty ? 'Write the subtitle files (Ctrl+S)' : 'No unsaved edits'
  document.body.dataset.dirty = dirty ? 'true' : 'false'
  $('dirty-flag').textContent = dirty ? 'unsaved edits' : 'saved'
  document.title = `${dirty ? '• ' : ''}${S.state?.video?.name || 'talk'} · bivideo studio`
  $('undo').disabled = !S.history?.canUndo
  $('redo').disabled = !S.history?.canRedo
  $('merge').disabled = current === undefined || current + 1 >= S.cues.length
  $('delete').disabled = current === undefined
  $('split').disabled = !S.cues.length
  const retranslate = $('retranslate')
  retranslate.disabled = !stale && current === undefined
  retranslate.title = stale
    ? (stale === 1 ? 'Re-translate the stale cue (its sentence)' : `Re-translate the ${stale} stale cues (their sentences)`)
    : current !== undefined ? `Re-translate cue ${current + 1} (its sentence)` : 'Select a cue to re-translate'
  retranslate.dataset.stale = String(stale)
  const suggest = $('suggest')
  suggest.disabled = !S.state?.llm
  suggest.title = S.state?.llm
    ? 'Ask the language model to proofread the spoken lines'
    : `Needs an LLM translator (this session uses ${S.state?.translator || 'none'}; start the studio with --translator openai, deepseek, qwen or ollama)`
  $('burn').disabled = S.burning
  $('stale-count').textContent = stale ? `${stale} stale translation${stale === 1 ? '' : 's'}` : ''
}

function wireControls () {
  $('save').addEventListener('click', () => save())
  $('undo').addEventListener('click', undo)
  $('redo').addEventListener('click', redo)
  $('split').addEventListener('click', split)
  $('merge').addEventListener('click', mergeWithNext)
  $('delete').addEventListener('click', deleteCue)
  $('insert').addEventListener('click', insertCue)
  $('retranslate').addEventListener('click', retranslate)
  $('suggest').addEventListener('click', suggestFixes)
  $('burn').addEventListener('click', () => burner.run())
  $('find-form').addEventListener('submit', replaceAll)
  $('playpause').addEventListener('click', togglePlay)
  $('zoom').addEventListener('input', e => wave.zoom(Number(e.target.value)))
  const frame = $('frame-select')
  frame.replaceChildren(...S.state.frames.map(f => {
    const option = document.createElement('option')
    option.value = f.platform
    option.textContent = f.label
    return option
  }))
  frame.addEventListener('change', () => overlay.setFrame(frame.value))

  video.addEventListener('play', () => { $('playpause').textContent = 'Pause'; requestAnimationFrame(playbackLoop) })
  video.addEventListener('pause', () => { $('playpause').textContent = 'Play'; S.stopAt = null; onTime() })
  for (const type of ['timeupdate', 'seeked']) video.addEventListener(type, onTime)

  installKeys({
    save: () => save(),
    undo,
    redo,
    split,
    step,
    togglePlay,
    ownsField: el => $('cue-rows').contains(el)
  })
  window.addEventListener('beforeunload', event => {
    if (!isDirty()) return
    drafts.writeLocal(S.cues)
    event.preventDefault()
    event.returnValue = ''
  })
}

// ---------------------------------------------------------------------------------------------
// Start

async function main () {
  let state, peaks
  try {
    [state, peaks] = await Promise.all([getJSON('/api/state'), getBytes('/api/peaks')])
  } catch (error) {
    status.error(`Could not load the talk: ${error.message}`)
    return
  }
  studio.timings.fetched = performance.now()
  S.state = state
  S.version = state.version
  S.cues = fromWire(state.cues, state.spoken)
  S.saved = S.cues
  S.history = new History(S.cues)
  reindex()
  $('video-name').textContent = state.video.name
  document.body.dataset.spoken = state.spoken

  drafts = new Drafts(state.video.name, () => S.version, status)
  table = new CueTable($('cue-rows'), $('cue-scroller'), tableHandlers)
  table.render(S.cues)
  studio.timings.table = performance.now()

  wave = new Waveform($('waveform'), video, { peaks, duration: state.video.duration, speech: state.speech || [] }, {
    live: (id, start, end) => table.showTimes(id, start, end),
    times: (id, start, end) => {
      const i = S.index.get(id)
      if (i === undefined) return
      const t0 = performance.now()
      const r = x => Math.round(x * 1000) / 1000
      S.history.seal()
      const cue = S.cues[i]
      if (cue.start === r(start) && cue.end === r(end)) return table.updateRow(table.rows.get(id), cue)
      apply(withCue(i, edit(cue, { start: r(start), end: r(end) })), { t0 })
      S.history.seal()
    },
    select: id => {
      setCurrent(id)
      table.reveal(id)
    }
  })

  overlay = new Overlay({
    stage: $('stage'), box: $('frame'), video, blur: $('blur'), band: $('button-zone'), htmlSubs: $('html-subs')
  }, state, { status, cues: () => S.cues })

  burner = new Burner({
    status,
    save: () => save(),
    dirty: isDirty,
    busy: busy => { S.burning = busy; refreshControls() }
  })
  suggestions = new Suggestions($('suggestions'), {
    accept: acceptSuggestions,
    numberOf,
    show: id => { setCurrent(id); table.focusField(id, S.lastColumn || cueOf(id)?.spoken || 'en') }
  })

  wireControls()
  refreshControls()
  status.showFiles(state.outputs || [], 'Burned videos:')
  await wave.ready
  wave.render(S.cues)
  studio.timings.waveform = performance.now()
  recheck(0, S.cues.length - 1)
  sync()
  onTime()

  studio.timings.open = performance.now()
  document.body.dataset.ready = 'true'
  markReady(studio.timings)
  if (!$('status').querySelector('.status-text').textContent) status.say(`${S.cues.length} cues loaded.`)
  offerDraft(state)
  overlay.start()
}

main().catch(error => {
  console.error(error)
  status.error(`The studio page failed: ${error.message}`)
})
