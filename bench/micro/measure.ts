/** CPU microseconds (user + system) per operation of `run(count)`, after a warm-up, best of `rounds`. */
export async function cpuPerOp(name: string, count: number, run: (count: number) => Promise<void> | void, rounds = 5): Promise<number> {
  await run(Math.max(1, Math.round(count / 5)));
  const results: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const before = process.cpuUsage();
    await run(count);
    const used = process.cpuUsage(before);
    results.push((used.user + used.system) / count);
  }
  results.sort((a, b) => a - b);
  const best = results[0] ?? Number.NaN;
  const median = results[Math.floor(results.length / 2)] ?? Number.NaN;
  console.log(`${name.padEnd(44)} ${best.toFixed(2).padStart(9)} µs/op best, ${median.toFixed(2).padStart(9)} median (${rounds} × ${count})`);
  return best;
}
