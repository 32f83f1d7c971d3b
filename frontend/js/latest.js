// "Latest request wins": one request in flight; inputs that arrive meanwhile replace each other
// and only the newest is sent next, so a burst of edits costs at most two round trips and an
// answer is never shown after a newer one.

/**
 * send(input) -> Promise; onResult(result, input) and onError(error, input) run only when no
 * newer input is waiting and cancel() has not been called since the request left. The next
 * request waits for them (an async onResult, such as a Plotly redraw, holds the slot).
 */
export function latestWins(send, { onResult, onError }) {
  let inflight = false;
  let waiting = null; // { input } or null: a box, so that any input (even undefined) can wait
  let epoch = 0; // bumped by cancel(): requests already sent are then answered to no one

  async function pump() {
    const { input } = waiting;
    waiting = null;
    inflight = true;
    const mine = epoch;
    const current = () => !waiting && mine === epoch;
    try {
      const result = await send(input);
      if (current()) await onResult(result, input);
    } catch (error) {
      if (current()) await onError(error, input);
    } finally {
      inflight = false;
      if (waiting) pump();
    }
  }

  return {
    run(input) {
      waiting = { input };
      if (!inflight) pump();
    },
    /** Drop whatever is waiting and ignore answers still on their way (a view unmounting). */
    cancel() {
      waiting = null;
      epoch += 1;
    },
  };
}
