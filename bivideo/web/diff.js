// Word diff for suggestions: English by words, Chinese by characters. Returns runs of
// {op: '=' | '-' | '+', text}; the page renders them as text nodes (never as HTML).

const TOKEN = /[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]|\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+/gu

export function tokens (text) {
  return String(text).match(TOKEN) || []
}

export function wordDiff (before, after) {
  const a = tokens(before)
  const b = tokens(after)
  // longest common subsequence table, from the ends
  const n = a.length
  const m = b.length
  const lcs = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
    }
  }
  const runs = []
  const add = (op, text) => {
    const last = runs[runs.length - 1]
    if (last && last.op === op) last.text += text
    else runs.push({ op, text })
  }
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) { add('=', a[i]); i++; j++ } else if (lcs[i + 1][j] >= lcs[i][j + 1]) add('-', a[i++])
    else add('+', b[j++])
  }
  while (i < n) add('-', a[i++])
  while (j < m) add('+', b[j++])
  return runs
}

/** The diff as DOM: <del> for removed words, <ins> for added ones, text nodes for the rest. */
export function diffFragment (before, after) {
  const fragment = document.createDocumentFragment()
  for (const { op, text } of wordDiff(before, after)) {
    if (op === '=') {
      fragment.append(document.createTextNode(text))
    } else {
      const el = document.createElement(op === '-' ? 'del' : 'ins')
      el.textContent = text
      fragment.append(el)
    }
  }
  return fragment
}
