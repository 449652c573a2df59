// Keyboard shortcuts (listed on the page). Space plays/pauses unless a text field has focus;
// Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y are the studio's undo/redo, in the cue fields too (one step per
// typing burst); the Find / Replace fields keep the browser's own undo.

const NOT_TEXT = new Set(['button', 'checkbox', 'radio', 'range', 'submit', 'reset', 'file', 'color', 'image'])

export function isTextField (el) {
  if (!el) return false
  if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true
  return el.tagName === 'INPUT' && !NOT_TEXT.has(el.type)
}

/**
 * @param {object} act {save, undo, redo, split, step(delta), togglePlay, ownsField(el)}
 *   ownsField: true for the cue table's fields (their undo is the studio's)
 */
export function installKeys (act) {
  window.addEventListener('keydown', e => {
    const target = e.target
    const ctrl = e.ctrlKey || e.metaKey
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key
    const text = isTextField(target)
    const ours = !text || act.ownsField(target)

    if (ctrl && !e.altKey && key === 's') {
      e.preventDefault()
      act.save()
    } else if (ctrl && !e.altKey && key === 'z' && ours) {
      e.preventDefault()
      if (e.shiftKey) act.redo()
      else act.undo()
    } else if (ctrl && !e.altKey && !e.shiftKey && key === 'y' && ours) {
      e.preventDefault()
      act.redo()
    } else if (ctrl && !e.altKey && key === 'Enter') {
      e.preventDefault()
      act.split()
    } else if (e.altKey && !ctrl && (key === 'ArrowUp' || key === 'ArrowDown')) {
      e.preventDefault()
      act.step(key === 'ArrowUp' ? -1 : 1)
    } else if (key === ' ' && !ctrl && !e.altKey && !text) {
      e.preventDefault() // also keeps a focused button from being pressed by Space
      if (!e.repeat) act.togglePlay()
    }
  })
}
