import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Every JSON log line printed so far. */
  readonly lines: Record<string, unknown>[];
  /** stderr and non-JSON output, for failure messages. */
  readonly stderr: string[];
  waitForLine(predicate: (line: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends the signal and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function defaultEntry(): 'src' | 'dist' {
  return process.env.ORDERMAIL_TEST_ENTRY === 'dist' ? 'dist' : 'src';
}

/**
 * Starts `--role=<role>` as its own process: from `src/main.ts` through tsx (no build needed), or from
 * the built `dist/main.js` exactly as production runs it. `npm test` builds first and sets
 * ORDERMAIL_TEST_ENTRY=dist, so every process starts from the build (about half the start-up CPU of tsx).
 * `nodeArgs` go to node itself (`--cpu-prof`, say).
 */
export function startRole(role: string, env: Record<string, string>, args: string[] = [], from: 'src' | 'dist' = defaultEntry(), nodeArgs: readonly string[] = []): RunningProcess {
  const entry = from === 'src' ? ['--import', 'tsx', 'src/main.ts'] : ['dist/main.js'];
  const child = spawn(process.execPath, [...nodeArgs, ...entry, `--role=${role}`, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ORDERMAIL_ENV_FILE: '/nonexistent', LOG_LEVEL: 'info', KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.trim()) continue;
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        stderr.push(part);
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  return {
    child,
    lines,
    stderr,
    waitForLine(predicate, what, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = lines.find(predicate);
          if (found) {
            cleanup();
            resolve(found);
          }
          return Boolean(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`--role=${role}: no log line for "${what}" within ${timeoutMs} ms. Last lines:\n${lines.slice(-8).map((l) => JSON.stringify(l)).join('\n')}\n${stderr.join('').slice(-2000)}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(onData);
        };
        const onData = (): void => void check();
        if (!check()) {
          waiters.add(onData);
          void exited.then(() => {
            if (waiters.has(onData)) {
              cleanup();
              reject(new Error(`--role=${role} exited before "${what}". Output:\n${lines.slice(-8).map((l) => JSON.stringify(l)).join('\n')}\n${stderr.join('').slice(-2000)}`));
            }
          });
        }
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** Polls `probe` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
