// Burn: save first when there are unsaved edits, start the burn, follow GET /api/events and
// show its progress in the status region; links to the burned videos when done (opened in a
// new tab: the page keeps its one <video>).

import { ApiError, postJSON } from './api.js'

export class Burner {
  /** @param {object} hooks {status, save: async () => bool, dirty: () => bool, busy(bool)} */
  constructor (hooks) {
    this.hooks = hooks
    this.source = null
  }

  async run () {
    const { status } = this.hooks
    if (this.hooks.dirty()) {
      status.say('Saving before the burn…')
      if (!await this.hooks.save()) return
    }
    this.hooks.busy(true)
    status.progress(0, 1, 'Burn starting…')
    try {
      await postJSON('/api/burn', {})
      status.say('Burning the subtitles into the video…')
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) {
        this.stop()
        status.endProgress()
        status.error(`Burn not started: ${error.message}`)
        return
      }
      status.say('A burn is already running: following it.')
    }
    // after the start: the server replays every event of the current burn to a late listener,
    // and a listener connecting before the start would be replayed the previous burn's end
    this.listen()
  }

  listen () {
    if (this.source) this.source.close()
    const source = new EventSource('/api/events')
    this.source = source
    const { status } = this.hooks
    const data = event => {
      try { return JSON.parse(event.data) } catch { return {} }
    }
    source.addEventListener('progress', event => {
      const { stage, done, total } = data(event)
      const percent = total > 0 ? Math.round(done / total * 100) : 0
      status.progress(done, total, `${stage || 'burn'}: ${percent}%`)
    })
    source.addEventListener('note', event => {
      const { text } = data(event)
      if (text) status.say(text, 'info', { keepActions: true })
    })
    source.addEventListener('done', event => {
      const files = data(event).files || []
      this.stop()
      status.endProgress()
      status.say(`Burned ${files.length} video${files.length === 1 ? '' : 's'}.`, 'ok')
      status.showFiles(files, 'Burned videos:')
    })
    source.addEventListener('failed', event => {
      this.stop()
      status.endProgress()
      status.error(`Burn failed: ${data(event).error || 'unknown error'}`)
    })
  }

  stop () {
    if (this.source) this.source.close()
    this.source = null
    this.hooks.busy(false)
  }
}
