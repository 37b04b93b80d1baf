// The REST API from the pages: the logged-in session cookie plus, for writes, Django's CSRF header.

export class ApiError extends Error {
  constructor(status, body) {
    const detail = (body && body.detail) || `The server answered ${status}.`;
    super(detail);
    this.status = status;
    this.code = (body && body.code) || "error";
    this.detail = detail;
  }
}

/** The cookie first (it changes when the user logs in again elsewhere), else the token the page came with. */
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** Call the API; resolves with the JSON body, rejects with ApiError (status 0 when the network failed). */
export async function api(path, { method = "GET", body, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["X-CSRFToken"] = csrfToken();
    headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? (method === "GET" ? undefined : "{}") : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { code: "network", detail: "The server cannot be reached. Check the connection." });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
