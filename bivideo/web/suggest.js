// "Suggest fixes": the LLM's proofreading of the spoken lines, each shown as a word diff with
// Accept / Reject; Accept all. Accepted text goes through the page's normal edit path (one undo
// step per click), so the translation is marked stale as for any edit of the spoken line.

import { diffFragment } from './diff.js'

const LANGUAGE = { en: 'English', zh: 'Chinese' }

export class Suggestions {
  /**
   * @param {HTMLElement} panel the section the list goes in (hidden when empty)
   * @param {object} on {accept(items) -> applied count, numberOf(id) -> 1-based cue number or 0, show(id)}
   */
  constructor (panel, on) {
    this.panel = panel
    this.list = panel.querySelector('.suggestion-list')
    this.summary = panel.querySelector('.suggestion-summary')
    this.on = on
    this.items = []
    panel.querySelector('.accept-all').addEventListener('click', () => this.accept(this.items.filter(i => !i.done)))
    panel.querySelector('.close-suggestions').addEventListener('click', () => this.clear())
  }

  /** items: [{id, language, before, after, why}] (ids of the cues they were made for). */
  show (items) {
    this.items = items.map((item, k) => ({ ...item, k: k + 1, done: false }))
    this.list.replaceChildren(...this.items.map(item => this.render(item)))
    this.panel.hidden = this.items.length === 0
    this.update()
  }

  render (item) {
    const li = document.createElement('li')
    li.className = 'suggestion'
    const head = document.createElement('div')
    head.className = 'suggestion-head'
    const where = document.createElement('button')
    where.type = 'button'
    where.className = 'link'
    where.textContent = `Cue ${this.on.numberOf(item.id) || '?'} · ${LANGUAGE[item.language] || item.language}`
    where.addEventListener('click', () => this.on.show(item.id))
    head.append(where)
    const diff = document.createElement('p')
    diff.className = 'diff'
    diff.lang = item.language === 'zh' ? 'zh-Hans' : 'en'
    diff.append(diffFragment(item.before, item.after))
    const why = document.createElement('p')
    why.className = 'why'
    why.textContent = item.why || ''
    const buttons = document.createElement('div')
    buttons.className = 'suggestion-buttons'
    const accept = document.createElement('button')
    accept.type = 'button'
    accept.textContent = 'Accept'
    accept.setAttribute('aria-label', `Accept suggestion ${item.k}`)
    accept.addEventListener('click', () => this.accept([item]))
    const reject = document.createElement('button')
    reject.type = 'button'
    reject.textContent = 'Reject'
    reject.setAttribute('aria-label', `Reject suggestion ${item.k}`)
    reject.addEventListener('click', () => this.settle([item], 'rejected'))
    buttons.append(accept, reject)
    li.append(head, diff, why, buttons)
    item.li = li
    return li
  }

  accept (items) {
    if (!items.length) return
    const applied = this.on.accept(items)
    this.settle(items.filter(i => applied.has(i)), 'accepted')
    this.settle(items.filter(i => !applied.has(i)), 'skipped')
  }

  settle (items, how) {
    for (const item of items) {
      item.done = how
      item.li.dataset.done = how
      for (const button of item.li.querySelectorAll('.suggestion-buttons button')) button.disabled = true
      const note = document.createElement('span')
      note.className = 'settled'
      note.textContent = how === 'skipped' ? 'skipped: the line changed since' : how
      item.li.querySelector('.suggestion-head').append(note)
    }
    this.update()
  }

  update () {
    const open = this.items.filter(i => !i.done).length
    this.summary.textContent = this.items.length
      ? `${this.items.length} suggestion${this.items.length === 1 ? '' : 's'}, ${open} open`
      : 'No suggestions'
    this.panel.querySelector('.accept-all').disabled = open === 0
  }

  clear () {
    this.items = []
    this.list.replaceChildren()
    this.panel.hidden = true
  }
}
