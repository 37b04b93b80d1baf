// The live connection of both pages: one WebSocket to the session, reconnected with capped exponential
// backoff and jitter, and treated as dead the moment the browser goes offline or the server stops
// answering heartbeats. Each page passes its own timings; the defaults are the student's.

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 10000;
export const HEARTBEAT_MS = 10000;
export const SILENCE_LIMIT_MS = 25000;

// Why the page closed a socket, for the server's logs (the server does not act on the code).
const SILENT = [4001, "silent"];
const OFFLINE = [4002, "offline"];
const DROPPED = [4003, "dropped"];

/** Delay before reconnect attempt `n` (0-based): exponential, capped, with "equal jitter". */
export function backoffDelay(n, random = Math.random, { baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS } = {}) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(n, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function socketUrl(path, location = globalThis.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export class LiveSocket {
  /**
   * url: the socket's address, or an async function giving a fresh one for every attempt (a ticket in it,
   * say); when that function fails, onUrlError(error) hears why and the socket backs off and tries again,
   * unless the handler stopped it.
   *
   * handlers: onConnecting({attempts}) before each attempt, onOpen(), onMessage(message),
   * onClose({attempts}) when an open socket is lost, onRetry({delayMs, attempts}) when the next attempt is
   * scheduled, onUrlError(error), and onStateChange(state) where state is "connecting" (never connected
   * yet), "online", "reconnecting" (lost, trying again) or "offline" (stopped, or the browser says it has
   * no network; it reconnects as soon as the network is back).
   *
   * options: heartbeatMs, silenceLimitMs (no message for that long: the connection is dead),
   * backoffBaseMs, backoffCapMs.
   */
  constructor(url, handlers, options = {}) {
    this.url = url;
    this.handlers = handlers;
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.silenceLimitMs = options.silenceLimitMs ?? SILENCE_LIMIT_MS;
    this.backoff = { baseMs: options.backoffBaseMs ?? BACKOFF_BASE_MS, capMs: options.backoffCapMs ?? BACKOFF_CAP_MS };
    this.ws = null;
    this.opening = false; // an async url is being fetched
    this.attempts = 0;
    this.timer = null;
    this.heartbeat = null;
    this.lastHeard = 0;
    this.stopped = false;
    this.everOpened = false;
    this.state = "connecting";
    globalThis.addEventListener("offline", () => this.#browserOffline());
    globalThis.addEventListener("online", () => this.#browserOnline());
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** The delay before reconnect attempt `n`, with this socket's backoff. */
  backoffDelay(n, random = Math.random) {
    return backoffDelay(n, random, this.backoff);
  }

  start() {
    this.stopped = false;
    if (navigator.onLine === false) {
      this.#setState("offline");
      return;
    }
    this.#connect();
  }

  /** Close for good (the test is over, the login has ended). */
  stop(code, reason) {
    this.stopped = true;
    clearTimeout(this.timer);
    this.#abandon(code, reason);
    this.#setState("offline");
  }

  /** Close the socket as a network drop would: it reconnects by itself. */
  drop(code = DROPPED[0], reason = DROPPED[1]) {
    if (this.ws) this.#lost([code, reason]);
  }

  /** Try again now (e.g. the user pressed "Retry"). */
  retryNow() {
    if (this.stopped || this.ws) return;
    this.attempts = 0;
    this.#connect();
  }

  send(message) {
    if (!this.isOpen) return false;
    try {
      this.ws.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  #setState(state) {
    if (this.state !== state) {
      this.state = state;
      this.handlers.onStateChange?.(state);
    }
  }

  #connect() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped || this.ws || this.opening) return;
    this.handlers.onConnecting?.({ attempts: this.attempts });
    if (typeof this.url === "function") this.#openFresh();
    else this.#open(this.url);
  }

  async #openFresh() {
    this.opening = true;
    let url;
    try {
      url = await this.url();
    } catch (error) {
      this.opening = false;
      this.handlers.onUrlError?.(error);
      this.#scheduleReconnect();
      return;
    }
    this.opening = false;
    // Meanwhile the page may have stopped it or gone offline (the "online" event reconnects).
    if (this.stopped || this.ws || navigator.onLine === false) return;
    this.#open(url);
  }

  #open(url) {
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempts = 0;
      this.everOpened = true;
      this.lastHeard = Date.now();
      this.#startHeartbeat();
      this.#setState("online");
      this.handlers.onOpen?.();
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.handlers.onMessage?.(message);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.#lost();
    };
    ws.onerror = () => {
      /* a close event follows */
    };
  }

  /** Forget the current socket without waiting for a closing handshake that may never come. */
  #abandon(code, reason) {
    clearInterval(this.heartbeat);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(code, reason);
      } catch {
        /* already closed */
      }
    }
  }

  #lost([code, reason] = []) {
    this.#abandon(code, reason);
    if (this.stopped) return;
    this.#setState(navigator.onLine === false ? "offline" : this.everOpened ? "reconnecting" : "connecting");
    this.handlers.onClose?.({ attempts: this.attempts });
    this.#scheduleReconnect();
  }

  #scheduleReconnect() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped || navigator.onLine === false) return; // the "online" event reconnects
    const delayMs = this.backoffDelay(this.attempts);
    this.attempts += 1;
    this.timer = setTimeout(() => this.#connect(), delayMs);
    this.handlers.onRetry?.({ delayMs, attempts: this.attempts });
  }

  #startHeartbeat() {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (!this.isOpen) return;
      if (Date.now() - this.lastHeard > this.silenceLimitMs) {
        this.#lost(SILENT); // half-open connection: the server has not answered for too long
        return;
      }
      this.send({ type: "heartbeat" });
    }, this.heartbeatMs);
  }

  #browserOffline() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = null;
    const hadSocket = this.ws !== null;
    this.#abandon(...OFFLINE);
    this.#setState("offline");
    if (hadSocket) this.handlers.onClose?.({ attempts: this.attempts });
  }

  #browserOnline() {
    if (this.stopped) return;
    this.attempts = 0;
    if (!this.ws) {
      this.#setState(this.everOpened ? "reconnecting" : "connecting");
      this.#connect();
    }
  }
}
