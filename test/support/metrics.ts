/** The sum of the samples of metric `name` whose labels include `labels`, from a Prometheus text exposition. */
export async function scrape(url: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(url)).text();
  const values = text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && match[1] === name)
    .filter((match) => Object.entries(labels).every(([key, value]) => (match[2] ?? '').includes(`${key}="${value}"`)))
    .map((match) => Number(match[3]));
  return values.length === 0 ? undefined : values.reduce((sum, v) => sum + v, 0);
}
