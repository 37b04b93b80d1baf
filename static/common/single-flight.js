// One run of a reload at a time: a call while it runs asks for one more run after it, however many calls come.

/** `task` (async) wrapped so that calls never overlap; each call returns the promise of the run that will cover it. */
export function singleFlight(task) {
  let running = null;
  let again = false;
  return function run() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await task();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}
