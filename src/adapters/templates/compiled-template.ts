import { Script } from 'node:vm';
import { Eta, EtaParseError, type EtaConfig, type TemplateFunction } from 'eta/core';
import type { TemplateFile } from './template-files.js';

/** A template ready to render: `data` becomes `it`. Throws TemplateRunError when the template fails on it. */
export type CompiledTemplate = (data: object) => string;

/** A template failed while rendering: which file, where in it, and the template's own error. */
export class TemplateRunError extends Error {
  constructor(
    readonly templatePath: string,
    /** `:12` for line 12 of the file, or where in the HTML MJML made of it. */
    readonly where: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

/**
 * A line holding only code (`{{ if (…) { }}`, `{{ } }}`) leaves nothing in the output, not even its line break,
 * as in Mustache; a line that prints keeps its own. Eta's autoTrim cannot tell the two apart. In Eta's syntax
 * tree the text between tags is already a JavaScript string literal: a line break is the two characters \n.
 */
const standaloneCodeLines: EtaConfig['plugins'][number] = {
  processAST(ast) {
    const lineEndBefore = /(?:^|(?<!\\)(?:\\\\)*\\n)[ \t]*$/;
    const lineEndAfter = /^[ \t]*(?:\\n|$)/;
    // Decided on the text as written: trimming one tag's line must not hide the line break the next one stands after.
    const written = [...ast];
    for (let i = 0; i < ast.length; i++) {
      const node = ast[i];
      if (node === undefined || typeof node === 'string' || node.t !== 'e') continue;
      const before = written[i - 1];
      const after = written[i + 1];
      // A tag at the very start of the template, or after a text ending with a line break (and indentation).
      const startsLine = i === 0 || (typeof before === 'string' && lineEndBefore.test(before) && (i === 1 || /\\n[ \t]*$/.test(before)));
      const endsLine = i === ast.length - 1 || (typeof after === 'string' && lineEndAfter.test(after));
      if (!startsLine || !endsLine) continue;
      const previous = ast[i - 1];
      const next = ast[i + 1];
      if (typeof previous === 'string') ast[i - 1] = previous.replace(/[ \t]*$/, '');
      if (typeof next === 'string') ast[i + 1] = next.replace(/^[ \t]*(?:\\n)?/, '');
    }
    return ast;
  },
};

// Eta with `{{ }}` tags (`{{= value }}` prints, `{{ code }}`, `{{~ raw }}`): the default `<% %>` is no valid MJML.
// debug: every failure names its template line. Eta from eta/core: no file system, so a template cannot read files.
const settings = {
  tags: ['{{', '}}'] as [string, string],
  autoTrim: false as const,
  plugins: [standaloneCodeLines],
  debug: true,
  useWith: false,
  varName: 'it',
  cache: false,
};
/** HTML: every `{{= }}` is escaped for HTML text and quoted attributes. */
const HTML = new Eta({ ...settings, autoEscape: true });
/** Subject and plain text: nothing to escape (the subject is made header-safe after). */
const TEXT = new Eta({ ...settings, autoEscape: false });

/** Compiles one template file, or says why it cannot be, naming the file and line; `undefined` then. */
export async function compileTemplate(file: TemplateFile, problems: string[]): Promise<CompiledTemplate | undefined> {
  const eta = file.part === 'html' ? HTML : TEXT;
  const checked = compileEta(eta, file.source, file.path, problems);
  if (checked === undefined) return undefined;
  if (file.engine === 'eta') return runner(eta, checked, file.path, (line) => `:${line}`);
  // MJML once, here: the {{ }} tags pass through it as text, and eta reads the HTML it makes.
  const html = await compileMjml(file, problems);
  if (html === undefined) return undefined;
  const compiled = compileEta(eta, withoutIndentation(html), `${file.path} (the HTML MJML made of it)`, problems);
  return compiled === undefined ? undefined : runner(eta, compiled, file.path, (line) => ` (line ${line} of the HTML MJML made of it)`);
}

/** Where HTML keeps its whitespace as written: preformatted elements, or a `white-space` style. */
const KEEPS_WHITESPACE = /<(pre|textarea|xmp|plaintext|listing)\b|white-space/i;

/**
 * MJML indents the HTML it makes, for reading; a mail client collapses that whitespace with the line break before
 * it. Dropped here, once per template: a quarter of the built-in confirmation's HTML, and every email is encoded,
 * signed, sent and stored that much smaller. The line breaks stay, so an error's line in the HTML still matches.
 * HTML that keeps its whitespace anywhere (`<pre>`, a `white-space` style) is left as MJML made it.
 */
export function withoutIndentation(html: string): string {
  return KEEPS_WHITESPACE.test(html) ? html : html.replace(/\n[ \t]+/g, '\n');
}

function runner(eta: Eta, template: TemplateFunction, path: string, where: (line: string) => string): CompiledTemplate {
  const options = { filepath: path };
  return (data) => {
    try {
      return eta.render(template, data, options);
    } catch (error) {
      throw runError(error, path, where);
    }
  };
}

/** Eta's runtime error in debug mode starts "<filepath>:<line>" and carries the template's own error as its cause. */
function runError(error: unknown, path: string, where: (line: string) => string): TemplateRunError {
  const line = error instanceof Error ? /:(\d+)\n/.exec(error.message)?.[1] : undefined;
  const { cause } = (error ?? {}) as { cause?: unknown };
  const original = cause instanceof Error ? cause : error;
  const reason = original instanceof Error ? `${original.name}: ${original.message}` : String(original);
  return new TemplateRunError(path, line === undefined ? '' : where(line), reason, { cause: original });
}

function compileEta(eta: Eta, source: string, path: string, problems: string[]): TemplateFunction | undefined {
  let code: string;
  try {
    code = eta.compileToString(source);
  } catch (error) {
    // "unclosed tag at line 3 col 5:" and a picture of the spot.
    const message = error instanceof Error ? error.message : String(error);
    const at = /^(.*) at line (\d+) col (\d+)/.exec(message);
    problems.push(at ? `${path}:${at[2]}:${at[3]}: ${at[1]}` : `${path}: ${message.split('\n')[0]}`);
    return undefined;
  }
  const syntaxError = javascriptSyntaxError(code);
  if (syntaxError !== undefined) {
    problems.push(`${path}${syntaxError.line === undefined ? '' : `:${syntaxError.line}`}: ${syntaxError.message} in the code of a {{ }} tag`);
    return undefined;
  }
  try {
    return eta.compile(source);
  } catch (error) {
    problems.push(`${path}: ${error instanceof EtaParseError ? error.message.split('\n')[0] : String(error)}`);
    return undefined;
  }
}

/**
 * The JavaScript of the template's tags parsed as V8 would: its error and the template line of the tag where
 * it stands (each tag's code follows `__eta.line=<its line>` in debug mode), which `new Function` would not tell.
 */
function javascriptSyntaxError(code: string): { message: string; line?: number } | undefined {
  try {
    new Script(`(function (it, options) {\n${code}\n})`, { filename: 'template.js' });
    return undefined;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const compiledLine = Number(/template\.js:(\d+)/.exec(error.stack ?? '')?.[1] ?? 0) - 1;
    const lines = code.split('\n').slice(0, Math.max(compiledLine, 0));
    const marker = lines.reverse().find((line) => line.startsWith('__eta.line='));
    return { message: error.message, ...(marker === undefined ? {} : { line: Number(marker.slice('__eta.line='.length)) }) };
  }
}

/**
 * MJML to HTML, keeping the tags: MJML's validator flags an attribute whose value is a {{ }} tag (a colour it
 * cannot check yet), which is not an error; anything else it finds is, with the line of the MJML file.
 */
async function compileMjml(file: TemplateFile, problems: string[]): Promise<string | undefined> {
  // Loaded on first use: it takes most of a second, which roles without templates need not spend.
  const { default: mjml2html } = await import('mjml');
  try {
    // fonts: none linked. A font-family naming Roboto would otherwise make every email load it from Google Fonts (a
    // request telling a third party who opened it); a shop that wants a web font adds its own mj-font.
    const { html, errors } = await mjml2html(file.source, { validationLevel: 'soft', keepComments: false, ignoreIncludes: true, filePath: file.path, fonts: {} });
    const real = errors.filter((error) => !error.message.includes('{{'));
    for (const error of real) problems.push(`${file.path}:${error.line}: ${error.message.trim()} (${error.tagName})`);
    return real.length === 0 ? html : undefined;
  } catch (error) {
    problems.push(`${file.path}: MJML cannot read it: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return undefined;
  }
}
