// `--perf`: Linux perf samples every process on the box while it runs, and the report says where the CPU went.
// Unlike node's --cpu-prof (wall-clock samples of one thread: a thread that waits for a core while the others are
// busy still counts as busy there), perf only samples what is on a core, kernel and PostgreSQL included.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface PerfSymbol {
  readonly symbol: string;
  /** Where the code is: JIT (JavaScript), node (V8, libuv, builtins), kernel, postgres, a shared library… */
  readonly dso: string;
  /** Of the group's samples. */
  readonly percent: number;
}

export interface PerfGroup {
  readonly group: string;
  /** Of all samples taken on the box while perf ran, idle included. */
  readonly percentOfBox: number;
  readonly byDso: readonly { readonly dso: string; readonly percent: number }[];
  readonly top: readonly PerfSymbol[];
}

/** A running `perf record -a`; stop() ends it and waits for its file. */
export class PerfRecorder {
  private readonly exited: Promise<unknown>;

  private constructor(private readonly child: ChildProcess) {
    // Watched from the start: perf may end on its own (a signal, the OOM killer) before stop() is called.
    this.exited = once(child, 'exit');
  }

  /** Starts sampling every CPU at `hz`; throws with what to install when perf is missing or not allowed. */
  static async start(file: string, hz = 999): Promise<PerfRecorder> {
    const probe = spawnSync('perf', ['--version'], { encoding: 'utf8' });
    if (probe.status !== 0) throw new Error('--perf needs Linux perf (Debian: apt-get install linux-perf) and root or kernel.perf_event_paranoid ≤ 0');
    const child = spawn('perf', ['record', '-a', '-F', String(hz), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    // perf says nothing while it records; an early exit is a refusal (permissions, no PMU, no cpu-clock).
    const exited = await Promise.race([once(child, 'exit').then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 1000))]);
    if (exited) throw new Error(`perf record exited at once: ${stderr.join('').trim()}`);
    return new PerfRecorder(child);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    await this.exited;
  }
}

/**
 * perf's report, one line per thread and `sort` key with its share of all samples, tab-separated. Lines under
 * `limit` percent are left out: with symbols, JavaScript's many small ones would make it huge.
 */
export function perfReport(file: string, sort = 'pid,dso,sym', limit = 0.01): string {
  const report = spawnSync('perf', ['report', '-i', file, '--stdio', '--no-children', '--sort', sort, '-g', 'none', '--percent-limit', String(limit), '-t', '\t'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (report.status !== 0) throw new Error(`perf report failed: ${report.stderr}`);
  return report.stdout;
}

const dsoName = (dso: string): string => {
  if (dso.startsWith('[JIT]') || /^perf-\d+\.map$/.test(dso)) return 'JIT (JavaScript)';
  if (dso === 'node') return 'node (V8, libuv, builtins)';
  if (dso === '[kernel.kallsyms]') return 'kernel';
  return dso;
};

/**
 * Sums perf's report by group of processes: `groupOf` names the group of a pid and its command (or undefined: not
 * ours, left out, as idle is). Each group gets its share of the box, its split by DSO and its `count` top symbols.
 * `totals`, a report by pid and DSO with nothing left out, gives the shares and the splits when there is one: the
 * report by symbol leaves out its smallest lines.
 */
export function summarisePerf(report: string, groupOf: (pid: number, command: string) => string | undefined, count = 15, totals?: string): PerfGroup[] {
  const whole = totals === undefined ? undefined : summarisePerf(totals, groupOf, 0);
  const groups = new Map<string, { percent: number; dsos: Map<string, number>; symbols: Map<string, { dso: string; percent: number }> }>();
  for (const line of report.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const [share, process, dso, symbol] = line.split('\t').map((field) => field.trim());
    const percent = Number.parseFloat(share ?? '');
    const match = /^(\d+):(.*)$/.exec(process ?? '');
    // A report sorted by pid and DSO alone has no symbol column: its lines count for the shares only.
    if (!Number.isFinite(percent) || !match || dso === undefined) continue;
    const group = groupOf(Number(match[1]), match[2] as string);
    if (group === undefined) continue;
    const entry = groups.get(group) ?? { percent: 0, dsos: new Map<string, number>(), symbols: new Map<string, { dso: string; percent: number }>() };
    const where = dsoName(dso);
    entry.percent += percent;
    entry.dsos.set(where, (entry.dsos.get(where) ?? 0) + percent);
    groups.set(group, entry);
    if (symbol === undefined) continue;
    // "[.] name" for user space, "[k] name" for the kernel; a JIT name is "JS:*name file:line:column" (or ~ when interpreted).
    const name = symbol.replace(/^\[[.k]\]\s*/, '').replace(/^JS:[*~^+]?/, '');
    const key = `${where}\u0000${name}`;
    const known = entry.symbols.get(key) ?? { dso: where, percent: 0 };
    known.percent += percent;
    entry.symbols.set(key, known);
  }
  const of = (part: number, all: number): number => Math.round((part / Math.max(all, 1e-9)) * 1000) / 10;
  return [...groups.entries()]
    .map(([group, entry]) => {
      const known = whole?.find((g) => g.group === group);
      const total = known ? known.percentOfBox : entry.percent;
      return {
        group,
        percentOfBox: Math.round(total * 10) / 10,
        byDso: known ? known.byDso : [...entry.dsos.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([dso, percent]) => ({ dso, percent: of(percent, total) })),
        top: [...entry.symbols.entries()]
          .sort((a, b) => b[1].percent - a[1].percent)
          .slice(0, count)
          .map(([key, { dso, percent }]) => ({ symbol: key.split('\u0000')[1] as string, dso, percent: of(percent, total) })),
      };
    })
    .sort((a, b) => b.percentOfBox - a.percentOfBox);
}
