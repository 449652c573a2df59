// The server's JSON API (see the studio spec). Every request is same-origin: the cookie set with
// the page authorises it, and fetch sends Origin on POST.

export class ApiError extends Error {
  constructor (status, message, body) {
    super(message)
    this.status = status
    this.body = body
  }
}

async function failure (response) {
  let body = null
  let message = `${response.status} ${response.statusText}`.trim()
  try {
    body = await response.json()
    if (body && typeof body.error === 'string') message = body.error
  } catch { /* not JSON */ }
  return new ApiError(response.status, message, body)
}

async function request (path, options = {}) {
  let response
  try {
    response = await fetch(path, { credentials: 'same-origin', ...options })
  } catch (error) {
    throw new ApiError(0, `the studio server did not answer (${error.message})`, null)
  }
  if (!response.ok) throw await failure(response)
  return response
}

/** GET JSON. The page's first GETs may be answered by the <link rel=preload> the HTML starts. */
export async function getJSON (path, { fresh = false } = {}) {
  return (await request(path, fresh ? { cache: 'no-store' } : {})).json()
}

export async function getBytes (path) {
  return new Int8Array(await (await request(path)).arrayBuffer())
}

function post (path, body) {
  return request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  })
}

/** POST a JSON body; the JSON answer, or null for 204. */
export async function postJSON (path, body) {
  const response = await post(path, body)
  if (response.status === 204) return null
  const type = response.headers.get('Content-Type') || ''
  return type.includes('json') ? response.json() : response.text()
}

export async function postText (path, body) {
  return (await post(path, body)).text()
}
