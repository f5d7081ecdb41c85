// `--cpu-prof`: the profiles node writes on exit, gzipped beside the results, and their top functions by self time.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface SelfTime {
  readonly function: string;
  /** file:line, relative to the repository (node_modules included). */
  readonly location: string;
  readonly selfMs: number;
  /** Of the process's busy time: everything sampled but (idle). */
  readonly percentOfBusy: number;
}

/** Self time summed over a package or directory: what a change there could save at most. */
export interface ComponentTime {
  /** A package under node_modules, a directory of ours (dist/adapters/kafka), node:<module>, native, gc or program. */
  readonly component: string;
  readonly selfMs: number;
  readonly percentOfBusy: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly sampledMs: number;
  readonly busyMs: number;
  readonly top: readonly SelfTime[];
  readonly byComponent: readonly ComponentTime[];
}

/** Where a frame's code lives, coarsely: the package, our directory, node's module, or the VM. */
export function componentOf(frame: { readonly functionName: string; readonly url: string }, root: string): string {
  if (frame.functionName === '(garbage collector)') return 'gc';
  if (frame.functionName === '(program)') return 'program (V8 and libuv outside JavaScript)';
  if (!frame.url) return 'native (system calls, builtins)';
  if (frame.url.startsWith('node:')) return `node:${frame.url.slice('node:'.length).split('/').slice(0, 2).join('/')}`;
  if (!frame.url.startsWith('file://')) return frame.url;
  const path = relative(root, new URL(frame.url).pathname).split('/');
  const modules = path.lastIndexOf('node_modules');
  if (modules >= 0) return (path[modules + 1] ?? '').startsWith('@') ? path.slice(modules + 1, modules + 3).join('/') : (path[modules + 1] ?? '');
  return path.slice(0, Math.min(3, path.length - 1)).join('/');
}

/** Functions by the time spent in them, not in what they call; one line per function, however many call paths reach it. */
export function topSelfTime(profile: Profile, root: string, count = 15): { sampledMs: number; busyMs: number; top: SelfTime[]; byComponent: ComponentTime[] } {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<string, { function: string; location: string; us: number }>();
  const componentUs = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  profile.samples.forEach((nodeId, index) => {
    const us = profile.timeDeltas[index + 1] ?? 0;
    const frame = byNode.get(nodeId);
    totalUs += us;
    if (!frame) return;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      return;
    }
    const component = componentOf(frame, root);
    componentUs.set(component, (componentUs.get(component) ?? 0) + us);
    const file = frame.url.startsWith('file://') ? relative(root, new URL(frame.url).pathname) : frame.url;
    const location = file ? `${file}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}@${location}`;
    const entry = selfUs.get(key) ?? { function: frame.functionName || '(anonymous)', location, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
  });
  const busyUs = totalUs - idleUs;
  const top = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((entry) => ({ function: entry.function, location: entry.location, selfMs: Math.round(entry.us / 100) / 10, percentOfBusy: Math.round((entry.us / Math.max(1, busyUs)) * 1000) / 10 }));
  const byComponent = [...componentUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([component, us]) => ({ component, selfMs: Math.round(us / 100) / 10, percentOfBusy: Math.round((us / Math.max(1, busyUs)) * 1000) / 10 }));
  return { sampledMs: Math.round(totalUs / 1000), busyMs: Math.round(busyUs / 1000), top, byComponent };
}

/**
 * Gzips the main thread's profile node wrote into `from` (CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile, thread 0;
 * a loader's hooks thread, tsx's say, writes its own) to `<to>/<name>.cpuprofile.gz` and summarises it.
 */
export function collectProfile(name: string, from: string, to: string, root: string): ProfileSummary {
  const written = readdirSync(from).filter((file) => file.endsWith('.cpuprofile') && file.split('.')[4] === '0');
  if (written.length !== 1) throw new Error(`${name}: expected one main-thread .cpuprofile in ${from}, found ${written.length} (did the process exit cleanly?)`);
  const text = readFileSync(join(from, written[0] as string), 'utf8');
  const file = join(to, `${name}.cpuprofile.gz`);
  writeFileSync(file, gzipSync(text));
  return { file: relative(root, file), ...topSelfTime(JSON.parse(text) as Profile, root) };
}
