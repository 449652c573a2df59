// The viewer's frame: the platform's output frame (LinkedIn, WeChat 9:16, ...) with the one
// <video> at frame.picture, a blurred copy of it around, the app button zone hatched, and the
// subtitles drawn by libass (JASSUB) from the very ASS the burn uses, over the WHOLE frame
// (PlayRes = frame size), so a 9:16 layout looks as burned. An audio-only talk shows instead
// the still its videos show (frame.backdrop: its picture, or its background and title), and
// its <video> only plays the sound. Without WebAssembly, or when
// JASSUB fails, a plain HTML overlay shows the current cue's two lines instead.

import { postText } from './api.js'
import { indexAt, isValid, wireAll } from './cues.js'

const ASS_DELAY_MS = 300
const SIDE_MARGIN = 0.05 // of the frame width, each side (as bivideo.subtitles lays lines out)
const READY_TIMEOUT_MS = 20000
const vendor = path => new URL(`./vendor/jassub/${path}`, import.meta.url).href

/** JASSUB whose canvas covers the frame box instead of the video element. */
async function frameRenderer () {
  const { default: JASSUB } = await import('./vendor/jassub/jassub.js')
  return class FrameJASSUB extends JASSUB {
    constructor (options) {
      super(options)
      this._frameBox = options.frameBox
      this._frameSize = options.frameSize
      const parent = this._canvasParent // inserted right after the video, inside the frame box
      Object.assign(parent.style, { position: 'absolute', inset: '0', pointerEvents: 'none', zIndex: '3' })
      this.resize()
    }

    resize (width = 0, height = 0, top = 0, left = 0, force = this._video?.paused) {
      const box = this._frameBox
      if (!box || !this._canvas) return // called from JASSUB's constructor, before we know the box
      const ratio = window.devicePixelRatio || 1
      const w = Math.max(1, Math.round(box.clientWidth * ratio))
      const h = Math.max(1, Math.round(box.clientHeight * ratio))
      Object.assign(this._canvas.style, {
        width: `${box.clientWidth}px`, height: `${box.clientHeight}px`, top: '0px', left: '0px'
      })
      if (force && this.busy === false) this.busy = true
      else force = false
      const frame = this._frameSize()
      // storage size = the frame: libass lays out in the frame's pixels, undistorted
      this.sendMessage('canvas', { width: w, height: h, videoWidth: frame.width, videoHeight: frame.height, force })
    }

    /** Draw the subtitles of `time` (a paused video's seek brings no frame callback), through
     *  JASSUB's own queue: a frame in flight is followed by this one, never by an older one. */
    renderAt (time) {
      const wanted = { mediaTime: time, width: this._videoWidth, height: this._videoHeight }
      if (this.busy) {
        this._lastDemandTime = wanted
      } else {
        this.busy = true
        this._demandRender(wanted)
      }
    }
  }
}

export class Overlay {
  /**
   * @param {object} els {stage, box, video, blur, band, htmlSubs}
   * @param {object} state the /api/state answer (frames, font)
   * @param {object} hooks {status: Status, cues: () => page cues}
   */
  constructor (els, state, hooks) {
    Object.assign(this, els)
    this.frames = state.frames
    this.font = state.font
    this.hooks = hooks
    this.frame = this.frames[0]
    this.audioOnly = Boolean(state.video.audio_only)
    this.assSeq = 0
    this.assTimer = 0
    this.jassub = null
    this.mode = null
    this.zhLine = this.htmlSubs.querySelector('.zh')
    this.enLine = this.htmlSubs.querySelector('.en')

    new ResizeObserver(() => this.layout()).observe(this.stage)
    this.layout()
    this.startBlur()
    // known at once, for the page and its tests: libass unless it cannot run here
    this.setMode(typeof WebAssembly === 'object' && typeof WebAssembly.instantiate === 'function' ? 'libass' : 'html')
  }

  /** Fit the frame box into the stage and place the picture, the button zone and the overlay. */
  layout () {
    const { width: W, height: H, picture, button_zone: zone } = this.frame
    const scale = Math.min(this.stage.clientWidth / W, this.stage.clientHeight / H) || 0
    this.box.style.width = `${Math.floor(W * scale)}px`
    this.box.style.height = `${Math.floor(H * scale)}px`
    const [x, y, w, h] = picture
    Object.assign(this.video.style, {
      left: `${x / W * 100}%`, top: `${y / H * 100}%`, width: `${w / W * 100}%`, height: `${h / H * 100}%`
    })
    this.band.hidden = !(zone > 0)
    this.band.style.height = `${(zone || 0) * 100}%`
    this.htmlSubs.style.bottom = `${((zone || 0) + 0.04) * 100}%`
    // the burn's font sizes (bivideo.subtitles.font_sizes), in this box's pixels
    const usable = W * (1 - 2 * SIDE_MARGIN)
    this.htmlSubs.style.setProperty('--zh-size', `${Math.min(H * 0.055, usable / (16 * 0.72 * 1.05)) * scale}px`)
    this.htmlSubs.style.setProperty('--en-size', `${Math.min(H * 0.04, usable / (42 * 0.42 * 1.05)) * scale}px`)
    this.blur.hidden = this.audioOnly || (x === 0 && y === 0 && w === W && h === H)
    this.video.style.visibility = this.audioOnly ? 'hidden' : ''
    this.box.style.backgroundImage = this.frame.backdrop ? `url("${this.frame.backdrop}")` : ''
    this.box.dataset.platform = this.frame.platform
    this.jassub?.resize()
    this.paintBlur?.()
  }

  async start () {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
      return this.fallback('WebAssembly is not available in this browser')
    }
    if (!this.font?.url) return this.fallback('the server gave no CJK font for libass')
    this.setMode('libass')
    let ass
    try {
      const Renderer = await frameRenderer()
      ass = await this.fetchAss()
      const family = (this.font.family || 'noto sans cjk sc').toLowerCase()
      this.jassub = new Renderer({
        video: this.video,
        frameBox: this.box,
        frameSize: () => this.frame,
        subContent: ass,
        workerUrl: vendor('jassub-worker.js'),
        wasmUrl: vendor('jassub-worker.wasm'),
        availableFonts: { [family]: new URL(this.font.url, location.href).href },
        fallbackFont: family,
        useLocalFonts: false,
        // drawn on the page's side: with the canvas handed to the worker, a frame the video asks
        // for before the hand-over reaches the page and throws inside JASSUB
        offscreenRender: false,
        // sound alone brings no video frames to draw on: then JASSUB follows the clock instead
        onDemandRender: !this.audioOnly
      })
    } catch (error) {
      return this.fallback(error.message || String(error))
    }
    const timeout = setTimeout(() => this.fallback('libass did not start in time'), READY_TIMEOUT_MS)
    this.jassub.addEventListener('ready', () => {
      clearTimeout(timeout)
      if (this.mode !== 'libass') return
      document.body.dataset.overlayReady = 'true'
      this.repaint()
    })
    // a seek while paused shows the new moment's subtitles at once (JASSUB waits for a frame
    // callback that a paused video does not always give)
    this.video.addEventListener('seeked', () => { if (this.video.paused) this.repaint() })
    this.jassub.addEventListener('error', event => {
      clearTimeout(timeout)
      this.fallback(event.error?.message || event.message || 'JASSUB failed')
    })
  }

  setMode (mode) {
    this.mode = mode
    document.body.dataset.overlay = mode
    this.htmlSubs.hidden = mode !== 'html'
  }

  fallback (reason) {
    if (this.mode === 'html' && this.fellBack) return
    this.fellBack = true
    if (this.jassub) {
      try { this.jassub.destroy() } catch { /* already gone */ }
      this.jassub = null
    }
    this.setMode('html')
    this.hooks.status.say(`Subtitle preview: plain HTML lines, not libass (${reason}). The burn still uses libass.`, 'info',
      { keepActions: true }) // an offered draft stays offered
    this.tick(this.video.currentTime)
  }

  fetchAss () {
    // a cue still being made (no text yet) is left out: the server refuses it, and it shows nothing
    return postText('/api/ass', { platform: this.frame.platform, cues: wireAll(this.hooks.cues().filter(isValid)) })
  }

  /** The cues changed: refresh the ASS (debounced; the HTML overlay updates at once). */
  changed () {
    if (this.mode === 'html') this.tick(this.video.currentTime)
    clearTimeout(this.assTimer)
    this.assTimer = setTimeout(() => this.refresh(), ASS_DELAY_MS)
  }

  async refresh () {
    clearTimeout(this.assTimer)
    if (!this.jassub || this.mode !== 'libass') return
    const seq = ++this.assSeq
    try {
      const ass = await this.fetchAss()
      if (seq !== this.assSeq || !this.jassub) return
      this.jassub.setTrack(ass)
      this.repaint()
    } catch (error) {
      this.hooks.status.error(`Subtitle preview not updated: ${error.message}`)
    }
  }

  /** Draw the current frame's subtitles now (while paused no video frame asks for it). */
  repaint () {
    this.jassub?.renderAt(this.video.currentTime)
  }

  setFrame (platform) {
    const frame = this.frames.find(f => f.platform === platform)
    if (!frame || frame === this.frame) return
    this.frame = frame
    this.layout()
    if (this.mode === 'libass') this.refresh()
  }

  /** HTML overlay: the cue at time t, Chinese above English. */
  tick (t) {
    if (this.mode !== 'html') return
    const cues = this.hooks.cues()
    const i = indexAt(cues, t)
    const cue = i >= 0 ? cues[i] : null
    const zh = cue ? cue.zh : ''
    const en = cue ? cue.en : ''
    if (this.zhLine.textContent !== zh) this.zhLine.textContent = zh
    if (this.enLine.textContent !== en) this.enLine.textContent = en
  }

  /** The blurred copy of the picture behind a fitted frame: a tiny canvas, scaled up and blurred by CSS. */
  startBlur () {
    const ctx = this.blur.getContext('2d')
    this.paintBlur = () => {
      const video = this.video
      if (this.blur.hidden || video.readyState < 2 || !video.videoWidth) return
      const { width: W, height: H } = this.frame
      const w = 48
      const h = Math.max(1, Math.round(48 * H / W))
      if (this.blur.width !== w) this.blur.width = w
      if (this.blur.height !== h) this.blur.height = h
      // cover: crop the picture to the frame's shape
      const scale = Math.max(W / video.videoWidth, H / video.videoHeight)
      const sw = W / scale
      const sh = H / scale
      ctx.drawImage(video, (video.videoWidth - sw) / 2, (video.videoHeight - sh) / 2, sw, sh, 0, 0, w, h)
    }
    if ('requestVideoFrameCallback' in this.video) {
      const loop = () => { this.paintBlur(); this.video.requestVideoFrameCallback(loop) }
      this.video.requestVideoFrameCallback(loop)
    } else {
      this.video.addEventListener('timeupdate', this.paintBlur)
    }
    this.video.addEventListener('loadeddata', this.paintBlur)
  }
}
