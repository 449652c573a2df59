// Times as the cue table shows them: m:ss.mmm, or h:mm:ss.mmm from an hour on.

const pad = (n, width) => String(n).padStart(width, '0')

/** 75.2 -> "1:15.200"; 3725.5 -> "1:02:05.500" */
export function formatTime (seconds) {
  if (!Number.isFinite(seconds)) return ''
  const sign = seconds < 0 ? '-' : ''
  let ms = Math.round(Math.abs(seconds) * 1000)
  const h = Math.floor(ms / 3600000); ms -= h * 3600000
  const m = Math.floor(ms / 60000); ms -= m * 60000
  const s = Math.floor(ms / 1000); ms -= s * 1000
  const tail = `${pad(s, 2)}.${pad(ms, 3)}`
  return h ? `${sign}${h}:${pad(m, 2)}:${tail}` : `${sign}${m}:${tail}`
}

const CLOCK = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d*)?)$/
const SECONDS = /^\d+(?:\.\d*)?$/

/** "1:15.2", "1:02:05.500", "00:01:15,200" (SRT) or plain seconds "75.2" -> seconds; null if not a time. */
export function parseTime (text) {
  const t = String(text).trim().replace(',', '.')
  if (SECONDS.test(t)) return Math.round(Number(t) * 1000) / 1000
  const m = CLOCK.exec(t)
  if (!m) return null
  const h = m[1] ? Number(m[1]) : 0
  const min = Number(m[2])
  const s = Number(m[3])
  if (s >= 60 || (m[1] !== undefined && min >= 60)) return null
  return Math.round((h * 3600 + min * 60 + s) * 1000) / 1000
}

/** A time typed out in full (as formatTime writes it, e.g. "0:05.200"): safe to apply while typing. */
export function isCompleteTime (text) {
  return /^\s*(?:\d+:)?\d{1,2}:\d{2}[.,]\d{3}\s*$/.test(text) && parseTime(text) !== null
}
