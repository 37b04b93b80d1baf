// The countdown, on the server's clock: offset = server_now − Date.now() at receipt, so a laptop
// whose clock is wrong still shows the right time left. While the session is paused the countdown is
// frozen at the time that was left (the server's `remaining_seconds`); when time is given (extra time,
// a reopened attempt, the resume moving the end later) its warnings and its zero fire again.

export class Countdown {
  /** warnings: thresholds in seconds (e.g. the last 10 and 5 minutes); onWarning gets the smallest one crossed. */
  constructor({ onTick, onWarning, onZero, warnings = [] }) {
    this.onTick = onTick;
    this.onWarning = onWarning;
    this.onZero = onZero;
    this.warnings = warnings;
    this.fired = new Set();
    this.zeroFired = false;
    this.endsAt = null;
    this.offset = 0;
    this.interval = null;
    this.frozenMs = undefined; // undefined: running; a number: stopped at that time left; null: stopped, time unknown
  }

  /** New clock data from the server (either may be missing). */
  sync(endsAtIso, serverNowIso) {
    if (serverNowIso) {
      const serverNow = Date.parse(serverNowIso);
      if (!Number.isNaN(serverNow)) this.offset = serverNow - Date.now();
    }
    if (endsAtIso) {
      const endsAt = Date.parse(endsAtIso);
      if (!Number.isNaN(endsAt)) this.endsAt = endsAt;
    }
    this.#changed();
  }

  /** Stop the clock at `ms` left (null: not known yet, the clock shows nothing until it is). */
  freeze(ms) {
    this.frozenMs = ms === null || ms === undefined || Number.isNaN(Number(ms)) ? null : Math.max(0, Number(ms));
    this.#changed();
  }

  /** Run again; `shiftMs` moves the end later by the time spent paused (when the server said how long). */
  unfreeze(shiftMs = 0) {
    if (!this.frozen) return;
    if (shiftMs && this.endsAt !== null) this.endsAt += shiftMs;
    this.frozenMs = undefined;
    this.#changed();
  }

  /** Time given (or, negative, taken back): the end moves by `ms`, never before now; a frozen clock moves too. */
  shift(ms) {
    if (!ms) return;
    if (this.endsAt !== null) {
      this.endsAt += ms;
      if (ms < 0) this.endsAt = Math.max(this.endsAt, Date.now() + this.offset);
    }
    if (typeof this.frozenMs === "number") this.frozenMs = Math.max(0, this.frozenMs + ms);
    this.#changed();
  }

  get frozen() {
    return this.frozenMs !== undefined;
  }

  get known() {
    return this.remainingMs() !== null;
  }

  remainingMs() {
    if (this.frozen) return this.frozenMs;
    return this.endsAt === null ? null : this.endsAt - (Date.now() + this.offset);
  }

  start() {
    if (!this.interval) this.interval = setInterval(() => this.tick(), 250);
    this.tick();
  }

  stop() {
    clearInterval(this.interval);
    this.interval = null;
  }

  tick() {
    const ms = this.remainingMs();
    if (ms === null) return;
    this.onTick?.(ms);
    if (this.frozen) return; // nothing runs out while the clock is stopped
    const crossed = this.warnings.filter((t) => ms <= t * 1000 && !this.fired.has(t));
    if (crossed.length && ms > 0) {
      for (const t of crossed) this.fired.add(t);
      this.onWarning?.(Math.min(...crossed), ms);
    }
    if (ms <= 0 && !this.zeroFired) {
      this.zeroFired = true;
      this.onZero?.();
    }
  }

  /** The end moved: a warning (or the zero) is due again once the time left is back above it. */
  #changed() {
    const ms = this.remainingMs();
    if (ms !== null) {
      if (ms > 0) this.zeroFired = false;
      for (const t of [...this.fired]) if (ms > t * 1000) this.fired.delete(t);
    }
    if (this.interval) this.tick();
  }
}
