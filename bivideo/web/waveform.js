// The waveform (wavesurfer.js, driven by the one <video>, drawn from the server's peaks: no
// decoding in the browser), one draggable region per cue labelled with its spoken line, a lane
// of the speech bivideo found under them, and red marks where speech has no cue.

import WaveSurfer from './vendor/wavesurfer/wavesurfer.esm.js'
import RegionsPlugin from './vendor/wavesurfer/plugins/regions.esm.js'

const SNAP = 0.1 // s: a dragged edge this close to a speech edge lands on it
const MAX_PX_PER_SEC = 1000
const NARROW_PX = 14 // regions narrower than this show neither label nor handles
const COLOR = 'rgba(74, 132, 255, 0.16)'
const COLOR_CURRENT = 'rgba(74, 132, 255, 0.38)'
const COLOR_BAD = 'rgba(232, 120, 40, 0.20)'

/** The regions plugin, tuned for a thousand regions: labels are clipped to their region (CSS),
 *  so the plugin's label stacking (every label measured against every other) is skipped, and
 *  one scroll/zoom listener places all regions instead of four listeners per region. */
class CueRegions extends RegionsPlugin {
  avoidOverlapping () {}

  virtualAppend (region, container, element) {
    if (!this._virtual) {
      this._virtual = new Set()
      this._container = container
      const all = () => this._placeSoon()
      this.subscriptions.push(this.wavesurfer.on('scroll', all), this.wavesurfer.on('zoom', all),
        this.wavesurfer.on('resize', all), this.wavesurfer.on('redraw', all))
    }
    this._virtual.add(region)
    region.on('render', () => this._place(region, this._metrics()))
    region.once('remove', () => this._virtual.delete(region))
    this._placeSoon()
  }

  _metrics () {
    const ws = this.wavesurfer
    return ws ? { left: ws.getScroll(), width: ws.getWidth(), total: this._container.clientWidth, duration: ws.getDuration() } : null
  }

  _placeSoon () {
    if (this._raf) return
    this._raf = requestAnimationFrame(() => {
      this._raf = 0
      const m = this._metrics()
      if (m) for (const region of this._virtual) this._place(region, m)
    })
  }

  _place (region, m) {
    const element = region.element
    if (!element || !m || !m.duration) return
    const x = region.start / m.duration * m.total
    const w = Math.max(1, (region.end - region.start) / m.duration * m.total)
    const visible = x + w > m.left - 50 && x < m.left + m.width + 50
    if (visible && !element.parentElement) this._container.appendChild(element)
    else if (!visible && element.parentElement) element.remove()
    // a region a few pixels wide (a long talk zoomed out) has no label and no edge handles:
    // nobody could read or grab them, and a thousand of each make the talk slow to open and
    // every frame slower to paint. Handles come (and go) with the zoom.
    const narrow = w < NARROW_PX
    if (region._narrow !== narrow) {
      region._narrow = narrow
      if (region.content) region.content.style.display = narrow ? 'none' : ''
    }
    const handles = !narrow || region.id === this.currentId // the current cue's edges can always be grabbed
    if (region.resize !== handles) region.setOptions({ resize: handles })
  }

  /** The current cue's region keeps its handles at any zoom. */
  setCurrent (id) {
    const old = this.currentId
    this.currentId = id
    const m = this._metrics()
    for (const region of this.regions) {
      if (region.id === old || region.id === id) this._place(region, m)
    }
  }
}

function lane (part, bottom, height, zIndex) {
  const div = document.createElement('div')
  div.setAttribute('part', part)
  Object.assign(div.style, {
    position: 'absolute', left: '0', width: '100%', bottom: `${bottom}px`, height: `${height}px`,
    pointerEvents: 'none', zIndex: String(zIndex)
  })
  return div
}

function spans (container, list, duration, colour, title) {
  const fragment = document.createDocumentFragment()
  for (const [start, end] of list) {
    const span = document.createElement('div')
    Object.assign(span.style, {
      position: 'absolute', top: '0', bottom: '0', background: colour,
      left: `${start / duration * 100}%`, width: `${Math.max(0, end - start) / duration * 100}%`,
      minWidth: '2px', borderRadius: '1px'
    })
    span.title = title
    fragment.append(span)
  }
  container.replaceChildren(fragment)
}

export class Waveform {
  /**
   * @param {HTMLElement} container
   * @param {HTMLVideoElement} video
   * @param {object} data {peaks: Int8Array, duration, speech: [[s, e]...]}
   * @param {object} on handlers: live(id, start, end) while dragging, times(id, start, end) at
   *   the end of a drag (after snapping), select(id)
   */
  constructor (container, video, { peaks, duration, speech }, on) {
    this.on = on
    this.duration = duration
    this.regions = new Map() // id -> region
    this.labels = new Map() // id -> label element
    this.currentId = null
    this.bad = new Set()
    this.silent = new Set()
    this.alt = false
    this.setSpeech(speech)

    const floats = Float32Array.from(peaks, v => v / 127)
    this.plugin = new CueRegions({}) // not .create(): that makes the base class
    this.ws = WaveSurfer.create({
      container,
      media: video,
      peaks: [floats],
      duration,
      height: 96,
      waveColor: '#9aa7b8',
      progressColor: '#5a6b82',
      cursorColor: '#e0442e',
      cursorWidth: 2,
      normalize: false,
      minPxPerSec: 0,
      fillParent: true,
      autoScroll: true,
      autoCenter: true,
      dragToSeek: false,
      plugins: [this.plugin]
    })
    this.ready = new Promise(resolve => this.ws.once('ready', resolve))

    // Alt (hold to drag without snapping), as the pointer events report it
    const track = e => { this.alt = e.altKey }
    for (const type of ['pointerdown', 'pointermove', 'pointerup']) document.addEventListener(type, track, true)
    window.addEventListener('keydown', track, true)
    window.addEventListener('keyup', track, true)

    this.plugin.on('region-update', (region) => {
      this.dragging = region
      this.on.live(region.id, region.start, region.end)
    })
    this.plugin.on('region-updated', (region, side) => {
      this.dragging = null
      let { start, end } = region
      if (!this.alt) [start, end] = this.snapped(start, end, side)
      if (start !== region.start || end !== region.end) region.setOptions({ start, end })
      this.on.times(region.id, start, end)
    })
    this.plugin.on('region-clicked', region => this.on.select(region.id))

    this.ready.then(() => {
      const wrapper = this.ws.getWrapper()
      this.speechLane = lane('speech-lane', 0, 8, 4)
      this.uncoveredLane = lane('uncovered-lane', 0, 8, 6)
      wrapper.append(this.speechLane, this.uncoveredLane)
      spans(this.speechLane, speech, duration, 'rgba(40, 150, 90, 0.75)', 'speech')
    })
  }

  setSpeech (speech) {
    this.edges = [...new Set(speech.flat())].sort((a, b) => a - b)
  }

  /** The nearest speech edge within SNAP of t, else t. */
  snapTime (t) {
    const edges = this.edges
    let lo = 0
    let hi = edges.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (edges[mid] < t) lo = mid + 1
      else hi = mid
    }
    let best = t
    let distance = SNAP + 1e-9
    for (const k of [lo - 1, lo]) {
      if (k >= 0 && k < edges.length && Math.abs(edges[k] - t) <= distance) {
        distance = Math.abs(edges[k] - t)
        best = edges[k]
      }
    }
    return best
  }

  /** A dragged edge (side "start"/"end") snaps; a moved region snaps by its nearer edge. */
  snapped (start, end, side) {
    if (side === 'start') return [Math.min(this.snapTime(start), end - 0.05), end]
    if (side === 'end') return [start, Math.max(this.snapTime(end), start + 0.05)]
    const ds = this.snapTime(start) - start
    const de = this.snapTime(end) - end
    const shift = ds === 0 ? de : de === 0 ? ds : (Math.abs(ds) <= Math.abs(de) ? ds : de)
    return shift && start + shift >= 0 ? [start + shift, end + shift] : [start, end]
  }

  makeLabel (text) {
    const label = document.createElement('div')
    label.className = 'cue-label'
    label.textContent = text
    return label
  }

  addRegion (cue) {
    const label = this.makeLabel(cue[cue.spoken])
    const region = this.plugin.addRegion({
      id: cue.id, start: cue.start, end: cue.end, content: label, color: COLOR,
      drag: true, resize: false, minLength: 0.05 // handles once placed wide enough to grab
    })
    region._cue = cue
    this.regions.set(cue.id, region)
    this.labels.set(cue.id, label)
    this.paint(cue.id)
  }

  updateRegion (cue) {
    const region = this.regions.get(cue.id)
    if (!region) return this.addRegion(cue)
    const old = region._cue
    region._cue = cue
    if (region !== this.dragging && (old.start !== cue.start || old.end !== cue.end)) {
      region.setOptions({ start: cue.start, end: cue.end })
    }
    const text = cue[cue.spoken]
    const label = this.labels.get(cue.id)
    if (label.textContent !== text) label.textContent = text
  }

  /** Show `cues`; with a non-structural diff only the changed regions are touched. */
  render (cues, diff = null) {
    if (diff && !diff.structural) {
      for (const i of diff.changed) this.updateRegion(cues[i])
      return
    }
    const keep = new Set(cues.map(c => c.id))
    for (const [id, region] of this.regions) {
      if (!keep.has(id)) {
        region.remove()
        this.regions.delete(id)
        this.labels.delete(id)
      }
    }
    for (const cue of cues) {
      const region = this.regions.get(cue.id)
      if (!region) this.addRegion(cue)
      else if (region._cue !== cue) this.updateRegion(cue)
    }
  }

  paint (id) {
    const region = this.regions.get(id)
    if (!region) return
    const color = id === this.currentId ? COLOR_CURRENT : this.bad.has(id) ? COLOR_BAD : COLOR
    if (region.color !== color) region.setOptions({ color })
    const style = region.element?.style
    if (!style) return
    style.outline = this.silent.has(id) ? '2px dashed #d2691e' : ''
    style.outlineOffset = this.silent.has(id) ? '-2px' : ''
    style.boxShadow = id === this.currentId ? 'inset 0 0 0 1px rgba(40, 90, 220, 0.9)' : ''
  }

  setCurrent (id) {
    const old = this.currentId
    this.currentId = id
    this.plugin.setCurrent(id)
    if (old) this.paint(old)
    if (id) this.paint(id)
  }

  /** A cue that breaks a rule is tinted (the row says which rule). */
  setProblem (id, bad) {
    if (bad === this.bad.has(id)) return
    if (bad) this.bad.add(id)
    else this.bad.delete(id)
    this.paint(id)
  }

  /** From /api/sync: speech no cue shows (red), cues over silence (dashed outline, set of ids). */
  setSync (uncovered, silentIds) {
    const before = this.silent
    this.silent = silentIds
    for (const id of before) if (!silentIds.has(id)) this.paint(id)
    for (const id of silentIds) if (!before.has(id)) this.paint(id)
    this.ready.then(() => spans(this.uncoveredLane, uncovered, this.duration, 'rgba(220, 40, 40, 0.9)', 'speech with no cue'))
  }

  /** 0..100: from the whole talk in view to MAX_PX_PER_SEC. */
  zoom (value) {
    const width = this.ws.getWrapper().parentElement?.clientWidth || 1000
    const fit = width / this.duration
    const px = value <= 0 ? 0 : fit * Math.pow(Math.max(1, MAX_PX_PER_SEC / fit), value / 100)
    this.ws.zoom(px)
  }

  /** Bring the cue's region into view (when zoomed in). */
  reveal (cue) {
    const ws = this.ws
    const left = ws.getScroll()
    const width = ws.getWidth()
    const total = ws.getWrapper().clientWidth
    const x = cue.start / this.duration * total
    if (x < left || x > left + width - 40) ws.setScroll(Math.max(0, x - width / 3))
  }
}
