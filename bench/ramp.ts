// Which step of the sustained-rate grid a run tries next.

export interface Outcome {
  /** Index in the grid. */
  readonly index: number;
  readonly sustained: boolean;
}

/**
 * The grid index a run tries next, or undefined when it is over. A run goes up from `start` while its steps are
 * sustained; when its first step is not, it goes down instead, until one is (or the bottom of the grid fails too).
 */
export function nextStep(gridLength: number, start: number, outcomes: readonly Outcome[]): number | undefined {
  const first = outcomes[0];
  const last = outcomes.at(-1);
  if (!first || !last) return start;
  if (first.sustained) return last.sustained && last.index < gridLength - 1 ? last.index + 1 : undefined;
  return last.sustained || last.index === 0 ? undefined : last.index - 1;
}

/** Runs after the first start one step below its result: the steps far below it tell nothing new. */
export function laterRunStart(grid: readonly number[], firstRunHighest: number): number {
  return Math.max(0, grid.indexOf(firstRunHighest) - 1);
}
