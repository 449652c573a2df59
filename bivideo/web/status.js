// The page's one role="status" region: a message line, burn progress, output links and the
// buttons a message offers (Reload / Overwrite, Restore draft / Discard draft).

export class Status {
  constructor (region) {
    this.region = region
    this.text = region.querySelector('.status-text')
    this.progressBox = region.querySelector('.status-progress')
    this.bar = region.querySelector('progress')
    this.progressText = region.querySelector('.status-progress-text')
    this.links = region.querySelector('.status-links')
    this.buttons = region.querySelector('.status-actions')
  }

  /** One line; kind: info | ok | error. Clears offered buttons unless keep is set. */
  say (message, kind = 'info', { keepActions = false } = {}) {
    this.text.textContent = message
    this.region.dataset.kind = kind
    if (!keepActions) this.offer([])
  }

  error (message) { this.say(message, 'error') }

  /** Buttons under the message: [{label, onClick, title?}] (an empty list removes them). */
  offer (actions) {
    this.buttons.replaceChildren(...actions.map(({ label, onClick, title }) => {
      const button = document.createElement('button')
      button.type = 'button'
      button.textContent = label
      if (title) button.title = title
      button.addEventListener('click', onClick)
      return button
    }))
    this.buttons.hidden = actions.length === 0
  }

  progress (done, total, label) {
    this.progressBox.hidden = false
    this.bar.max = total > 0 ? total : 1
    this.bar.value = Math.min(done, this.bar.max)
    this.bar.setAttribute('aria-label', 'Burn progress')
    this.progressText.textContent = label
  }

  endProgress () {
    this.progressBox.hidden = true
  }

  /** Links to files (open in a new tab): [{name, url}]. */
  showFiles (files, heading) {
    this.links.replaceChildren()
    if (!files.length) { this.links.hidden = true; return }
    const title = document.createElement('span')
    title.textContent = heading
    this.links.append(title)
    for (const file of files) {
      const a = document.createElement('a')
      a.href = file.url
      a.target = '_blank'
      a.rel = 'noopener'
      a.textContent = file.name
      this.links.append(a)
    }
    this.links.hidden = false
  }
}
