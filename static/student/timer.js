// The countdown, on the server's clock: offset = server_now − Date.now() at receipt, so a laptop
// whose clock is wrong still shows the right time left.

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
    if (this.interval) this.tick();
  }

  get known() {
    return this.endsAt !== null;
  }

  remainingMs() {
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
}
