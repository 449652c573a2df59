// Drafts: after edits (debounced) the cues go to POST /api/draft and to localStorage, so a
// crash, a closed tab or a lost server loses nothing. On load the newer draft that differs
// from the files is offered.

import { postJSON } from './api.js'
import { isValid, wireAll } from './cues.js'

const key = name => `bivideo-studio:draft:${name}`

export class Drafts {
  /** @param {() => string} version the version of the files the cues are edits of (read at write time) */
  constructor (videoName, version, status) {
    this.key = key(videoName)
    this.version = version
    this.status = status
    this.timer = 0
    this.pending = null
  }

  /** The local draft for this version of the files, if any: {version, saved, cues}. */
  local (version) {
    try {
      const draft = JSON.parse(localStorage.getItem(this.key) || 'null')
      return draft && draft.version === version && Array.isArray(draft.cues) ? draft : null
    } catch {
      return null
    }
  }

  /** Keep `cues` (page cues) as the draft in ~1 s. */
  schedule (cues) {
    this.pending = cues
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.flush(), 1000)
  }

  writeLocal (cues) {
    try {
      const draft = { version: this.version(), saved: new Date().toISOString(), cues: wireAll(cues) }
      localStorage.setItem(this.key, JSON.stringify(draft))
    } catch { /* storage full or disabled: the server copy still counts */ }
  }

  /** Write the pending draft now (local at once, server in the background). */
  flush ({ localOnly = false } = {}) {
    clearTimeout(this.timer)
    const cues = this.pending
    this.pending = null
    if (!cues) return
    this.writeLocal(cues)
    // the server keeps only a draft it could save: with a cue still being made (no text yet,
    // times reversed) the browser's copy is the draft until the cue is finished
    if (localOnly || !cues.every(isValid)) return
    postJSON('/api/draft', { version: this.version(), cues: wireAll(cues) }).catch(error => {
      if (error.message === this.lastError) return
      this.lastError = error.message
      this.status.error(`Draft not kept on the server (${error.message}); it is kept in this browser.`)
    })
  }

  clearLocal () {
    clearTimeout(this.timer)
    this.pending = null
    try { localStorage.removeItem(this.key) } catch { /* nothing to remove */ }
  }
}
