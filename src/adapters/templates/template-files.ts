import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { canonicalLocale } from '../../domain/locale.js';
import { isNotificationKind, NOTIFICATION_KINDS, type NotificationKind } from '../../domain/notification.js';

/** The three parts of every email: the subject line, the HTML body and its plain-text twin. */
export const TEMPLATE_PARTS = ['subject', 'html', 'text'] as const;
export type TemplatePart = (typeof TEMPLATE_PARTS)[number];

/** The file name of each part after the locale, and the engine that reads it: MJML for responsive HTML, else eta. */
const SUFFIXES: Readonly<Record<string, { part: TemplatePart; engine: 'eta' | 'mjml' }>> = {
  'subject.eta': { part: 'subject', engine: 'eta' },
  'html.mjml': { part: 'html', engine: 'mjml' },
  'html.eta': { part: 'html', engine: 'eta' },
  'txt.eta': { part: 'text', engine: 'eta' },
};
const FILE_NAME = /^([^.]+)\.(subject\.eta|html\.mjml|html\.eta|txt\.eta)$/;

/** One template file: `<folder>/<kind>/<locale>.<part>.<engine>`, e.g. templates/order-created/de.html.mjml. */
export interface TemplateFile {
  readonly kind: NotificationKind;
  /** Canonical BCP 47, whatever case the file name used. */
  readonly locale: string;
  readonly part: TemplatePart;
  readonly engine: 'eta' | 'mjml';
  /** The file's path as problems and errors name it. */
  readonly path: string;
  readonly source: string;
}

/**
 * Every template file in `dir`, one folder per notification kind. Files at the top (a README) and hidden entries
 * are left alone; anything else that does not follow the naming is a problem, so a typo never goes unnoticed
 * (a misspelt file would otherwise leave the built-in template in use).
 */
export function readTemplateFolder(dir: string, what: string, problems: string[]): TemplateFile[] {
  if (!isDirectory(dir)) {
    problems.push(`${what}: ${dir} is not a directory`);
    return [];
  }
  const files: TemplateFile[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || kindOfEntry(entry, dir) !== 'directory') continue;
    if (!isNotificationKind(entry.name)) {
      problems.push(`${join(dir, entry.name)}: not a notification kind; the template folders are ${NOTIFICATION_KINDS.join(', ')}`);
      continue;
    }
    files.push(...readKindFolder(join(dir, entry.name), entry.name, problems));
  }
  return files;
}

function readKindFolder(folder: string, kind: NotificationKind, problems: string[]): TemplateFile[] {
  const files: TemplateFile[] = [];
  const seen = new Map<string, string>();
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    const match = FILE_NAME.exec(entry.name);
    const suffix = match?.[2] === undefined ? undefined : SUFFIXES[match[2]];
    if (kindOfEntry(entry, folder) !== 'file' || match?.[1] === undefined || suffix === undefined) {
      problems.push(`${path}: not a template; name one <locale>.subject.eta, <locale>.html.mjml (or .html.eta) or <locale>.txt.eta`);
      continue;
    }
    const locale = canonicalLocale(match[1]);
    if (locale === undefined) {
      problems.push(`${path}: "${match[1]}" is not a BCP 47 language tag (de, de-DE, en-GB…)`);
      continue;
    }
    const key = `${locale}.${suffix.part}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push(`${path}: ${earlier} is the ${suffix.part} template of ${locale} already; keep one of them`);
      continue;
    }
    seen.set(key, path);
    const source = readSource(path, problems);
    if (source !== undefined) files.push({ kind, locale, ...suffix, path, source });
  }
  return files;
}

/** The most a template file may hold: a template is a page of markup, not a data file. */
const TEMPLATE_MAX_BYTES = 256 * 1024;

/** A template's text, or a problem line naming the file when it cannot be read or is too large. */
function readSource(path: string, problems: string[]): string | undefined {
  try {
    const size = statSync(path).size;
    if (size > TEMPLATE_MAX_BYTES) {
      problems.push(`${path}: ${size} bytes, more than the ${TEMPLATE_MAX_BYTES} a template may have`);
      return undefined;
    }
    return readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    problems.push(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return undefined;
  }
}

/**
 * What an entry is, a symbolic link followed: a mounted Kubernetes ConfigMap or Secret holds its files as links
 * into a hidden folder, and they must count as the files and folders they point at.
 */
function kindOfEntry(entry: Dirent, parent: string): 'file' | 'directory' | 'other' {
  if (!entry.isSymbolicLink()) return entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : 'other';
  try {
    const target = statSync(join(parent, entry.name));
    return target.isFile() ? 'file' : target.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'other';
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
