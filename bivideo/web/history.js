// Undo/redo over snapshots: each step is a whole (frozen) cue array; cues are immutable objects,
// so a step costs one array of references. Typing in one field coalesces into one step until the
// field loses focus, another kind of edit happens, or the typing pauses.

const PAUSE_MS = 1500

export class History {
  constructor (initial, limit = 200) {
    this.limit = limit
    this.reset(initial)
  }

  reset (initial) {
    this.stack = [initial]
    this.keys = [null]
    this.pos = 0
    this.sealed = true
    this.lastAt = 0
  }

  get current () { return this.stack[this.pos] }
  get canUndo () { return this.pos > 0 }
  get canRedo () { return this.pos < this.stack.length - 1 }

  /** Record `state` as the newest step; `key` names a typing burst (e.g. "c12:en") to coalesce. */
  push (state, key = null) {
    const now = performance.now()
    if (key && !this.sealed && this.pos > 0 && this.keys[this.pos] === key && now - this.lastAt < PAUSE_MS) {
      this.stack[this.pos] = state
      this.lastAt = now
      return
    }
    this.stack.length = this.pos + 1
    this.keys.length = this.pos + 1
    this.stack.push(state)
    this.keys.push(key)
    this.pos++
    if (this.stack.length > this.limit + 1) {
      this.stack.shift()
      this.keys.shift()
      this.pos--
    }
    this.sealed = !key
    this.lastAt = now
  }

  /** End the current typing burst: the next keystroke starts a new step. */
  seal () { this.sealed = true }

  undo () {
    if (!this.canUndo) return null
    this.sealed = true
    return this.stack[--this.pos]
  }

  redo () {
    if (!this.canRedo) return null
    this.sealed = true
    return this.stack[++this.pos]
  }
}
