// CPU time of each process of the bench, read from /proc/<pid>/stat (utime + stime) every second.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type pg from 'pg';

const TICKS_PER_SECOND = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime in milliseconds, and the start time in clock ticks since boot; undefined when the process is gone. */
export function readProcessCpu(pid: number): { cpuMs: number; startTicks: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // After the command name, which may hold spaces and parentheses: field 3 (state) onwards.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { cpuMs: (ticks * 1000) / TICKS_PER_SECOND, startTicks: Number(fields[19]) };
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function uptimeTicks(): number {
  return Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]) * TICKS_PER_SECOND;
}

/** The Kafka broker's JVM, when it is the one scripts/kafka/kafka.sh started on this machine (its pid file). */
export function kafkaPid(brokers: string, cacheDir: string): number | undefined {
  const [host, port] = (brokers.split(',')[0] ?? '').split(':');
  if (!['127.0.0.1', 'localhost'].includes(host ?? '')) return undefined;
  const file = `${cacheDir}/kafka/broker-${port}/kafka.pid`;
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('kafka') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** What the PostgreSQL server's processes are counted as: */
export const PG_GROUPS = {
  /** backends connected to the bench's database (and autovacuum workers in it) */
  bench: 'pg',
  /** the postmaster and the background processes (WAL writer, checkpointer, …) every database shares */
  shared: 'pgOther',
  /** backends of other databases: other users of a shared server, and the bench's own monitoring connection; in no total */
  otherDatabases: 'pgOtherDatabases',
} as const;

/**
 * Sums the CPU of named processes and of the PostgreSQL server's processes by group, reading /proc every
 * second (and whenever a snapshot is taken). A process that started before the sampler counts from its
 * first reading; one that started later counts whole, so short-lived backends are not lost.
 */
export class CpuSampler {
  private readonly totals = new Map<string, number>();
  private readonly last = new Map<number, number>();
  private readonly startedAtTicks = uptimeTicks();
  private readonly postmaster?: number;
  private timer?: NodeJS.Timeout;
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly processes: ReadonlyMap<string, number>,
    private readonly monitor: pg.Client,
    private readonly database: string,
    postmaster: number | undefined,
  ) {
    if (postmaster !== undefined) this.postmaster = postmaster;
    for (const name of [...processes.keys(), ...(postmaster === undefined ? [] : Object.values(PG_GROUPS))]) this.totals.set(name, 0);
  }

  /** `monitor`: a connection to another database than the bench's, through which pg_stat_activity is read. */
  static async start(processes: ReadonlyMap<string, number>, monitor: pg.Client, database: string): Promise<CpuSampler> {
    const { rows } = await monitor.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const own = rows[0]?.pid;
    // Our own backend's parent is the postmaster; its /proc entry is readable when the server runs on this machine.
    const postmaster = own === undefined ? undefined : parentOf(own);
    const sampler = new CpuSampler(processes, monitor, database, postmaster);
    await sampler.sample();
    sampler.timer = setInterval(() => void sampler.sample(), 1000);
    return sampler;
  }

  /** Whether the PostgreSQL server's processes are being read (not when it runs elsewhere, in a container say). */
  get readsPostgres(): boolean {
    return this.postmaster !== undefined;
  }

  /** Reads /proc now and returns the CPU milliseconds of each group since the sampler started. */
  async snapshot(): Promise<Record<string, number>> {
    await this.sample();
    return Object.fromEntries(this.totals);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): Promise<void> {
    this.queue = this.queue.then(() => this.read()).catch((error: unknown) => console.error(`cpu sampler: ${String(error)}`));
    return this.queue;
  }

  private async read(): Promise<void> {
    const seen = new Set<number>();
    for (const [name, pid] of this.processes) this.account(name, pid, seen);
    if (this.postmaster === undefined) return;
    const { rows } = await this.monitor.query<{ pid: number; datname: string | null }>('SELECT pid, datname FROM pg_stat_activity');
    const databaseOf = new Map(rows.map((row) => [row.pid, row.datname]));
    for (const pid of [this.postmaster, ...childrenOf(this.postmaster)]) {
      const datname = databaseOf.get(pid) ?? null;
      this.account(datname === this.database ? PG_GROUPS.bench : datname === null ? PG_GROUPS.shared : PG_GROUPS.otherDatabases, pid, seen);
    }
    for (const pid of this.last.keys()) if (!seen.has(pid)) this.last.delete(pid);
  }

  private account(group: string, pid: number, seen: Set<number>): void {
    const now = readProcessCpu(pid);
    if (!now) return;
    seen.add(pid);
    const before = this.last.get(pid) ?? (now.startTicks >= this.startedAtTicks ? 0 : now.cpuMs);
    this.last.set(pid, now.cpuMs);
    this.totals.set(group, (this.totals.get(group) ?? 0) + (now.cpuMs - before));
  }
}
