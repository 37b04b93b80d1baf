// The live connection: one WebSocket to the session, opened with the session cookie (same origin,
// no token in the URL), reconnected with capped exponential backoff and jitter, and treated as dead
// the moment the browser goes offline or the server stops answering heartbeats.

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 10000;
const HEARTBEAT_MS = 10000;
const SILENCE_LIMIT_MS = 25000;

/** Delay before reconnect attempt `n` (0-based): exponential, capped, with "equal jitter". */
export function backoffDelay(n, random = Math.random) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(n, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function socketUrl(path, location = globalThis.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export class LiveSocket {
  /**
   * handlers: onOpen(), onMessage(message), onClose({attempts}), onStateChange(state) where state is
   * "connecting" (never connected yet), "online", "reconnecting" (lost, trying again) or "offline"
   * (the browser says it has no network; it reconnects as soon as the network is back).
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.ws = null;
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

  start() {
    this.stopped = false;
    if (navigator.onLine === false) {
      this.#setState("offline");
      return;
    }
    this.#connect();
  }

  /** Close for good (the test is over). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.#abandon();
    this.#setState("offline");
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
    if (this.stopped || this.ws) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
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
  #abandon() {
    clearInterval(this.heartbeat);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close();
      } catch {
        /* already closed */
      }
    }
  }

  #lost() {
    this.#abandon();
    if (this.stopped) return;
    this.#setState(navigator.onLine === false ? "offline" : this.everOpened ? "reconnecting" : "connecting");
    this.handlers.onClose?.({ attempts: this.attempts });
    this.#scheduleReconnect();
  }

  #scheduleReconnect() {
    clearTimeout(this.timer);
    if (this.stopped || navigator.onLine === false) return; // the "online" event reconnects
    const delay = backoffDelay(this.attempts);
    this.attempts += 1;
    this.timer = setTimeout(() => this.#connect(), delay);
  }

  #startHeartbeat() {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (!this.isOpen) return;
      if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) {
        this.#lost(); // half-open connection: the server has not answered for too long
        return;
      }
      this.send({ type: "heartbeat" });
    }, HEARTBEAT_MS);
  }

  #browserOffline() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const hadSocket = this.ws !== null;
    this.#abandon();
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

  /** Try again now (e.g. the user pressed "Retry"). */
  retryNow() {
    if (this.stopped || this.ws) return;
    this.attempts = 0;
    this.#connect();
  }
}
