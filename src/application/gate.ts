/**
 * A generic "pause while closed" signal: whoever feeds work in (a consumer, a channel) holds it back while
 * the gate is closed and lets it through again when it opens, knowing nothing of why.
 */
export interface Gate {
  readonly isOpen: boolean;
  /** Calls `listener` each time the gate opens or closes; returns a function that stops the calls. */
  onChange(listener: (isOpen: boolean) => void): () => void;
}

export const ALWAYS_OPEN: Gate = { isOpen: true, onChange: () => () => undefined };

/** Resolves once `gate` is open (at once when it is), or when `signal` aborts; never rejects. */
export function whenOpen(gate: Gate, signal?: AbortSignal): Promise<void> {
  if (gate.isOpen || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stop();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const stop = gate.onChange((isOpen) => {
      if (isOpen) done();
    });
    signal?.addEventListener('abort', done, { once: true });
    if (gate.isOpen) done();
  });
}
