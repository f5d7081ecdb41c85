export const PAST_DEADLINE = Symbol('past deadline');

/** What `promise` resolves with, or PAST_DEADLINE when `deadline` (a Date.now() time) comes first; it rejects as `promise` does. */
export async function beforeDeadline<V>(promise: Promise<V>, deadline: number): Promise<V | typeof PAST_DEADLINE> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof PAST_DEADLINE>((resolve) => {
    timer = setTimeout(() => resolve(PAST_DEADLINE), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
