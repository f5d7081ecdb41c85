import { EmailRenderError, type EmailTemplates } from '../../application/ports/email-templates.js';
import type { EmailMessage } from '../../application/ports/mailer.js';
import { emailMessage, emailModelOf } from '../../application/templates/email-model.js';
import { headerSafe } from '../../application/templates/email-text.js';
import type { Addressing } from '../../application/templates/template.js';
import { canonicalLocale, localeFallbacks } from '../../domain/locale.js';
import { NOTIFICATION_KINDS, type Notification, type NotificationKind } from '../../domain/notification.js';
import { compileTemplate, TemplateRunError, type CompiledTemplate } from './compiled-template.js';
import { emailView, type ShopBrand } from './email-view.js';
import { readTemplateFolder, TEMPLATE_PARTS, type TemplateFile, type TemplatePart } from './template-files.js';

/** The language every kind has a template in: the end of every fallback. */
export const LAST_RESORT_LOCALE = 'en';

export interface EmailTemplatesOptions {
  /** The templates that ship with ordermail: every kind in en, and more languages. */
  readonly builtInDir: string;
  /** TEMPLATES_DIR: the shop's own files, each replacing the built-in one of the same name or adding a language. */
  readonly overrideDir?: string;
  readonly shop: ShopBrand;
  /** DEFAULT_LOCALE, canonical: the language of orders without one, and the fallback of those in a language without templates. */
  readonly defaultLocale: string;
  /** An IANA time zone (UTC, Europe/Berlin): the emails' dates are written in it. */
  readonly timeZone: string;
}

/** Templates that cannot be used: every problem found, each naming its file (and line where there is one). */
export class TemplateProblems extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`email templates:\n${problems.join('\n')}`);
  }
}

/** The three compiled parts of one kind's email in one language, with the files they came from. */
interface TemplateSet {
  readonly locale: string;
  readonly parts: Readonly<Record<TemplatePart, CompiledTemplate>>;
}

/**
 * The email templates of ordermail's `templates/` folder and of TEMPLATES_DIR: eta for subjects and text, MJML
 * (or eta) for HTML, all compiled once by load(), so an email costs only the rendering. A notification is
 * written in its order's locale, else the nearest language there are templates for: de-DE, de, then
 * DEFAULT_LOCALE (and its parents), then en; its dates, numbers and lists follow the order's locale when the
 * templates are of its language.
 */
export class FileEmailTemplates implements EmailTemplates {
  private constructor(
    private readonly sets: ReadonlyMap<NotificationKind, ReadonlyMap<string, TemplateSet>>,
    private readonly options: EmailTemplatesOptions,
    /** The files of TEMPLATES_DIR in use: for the start-up log. */
    readonly overrides: readonly string[],
  ) {}

  /** Reads and compiles every template. @throws TemplateProblems listing everything wrong, each with its file and line */
  static async load(options: EmailTemplatesOptions): Promise<FileEmailTemplates> {
    const problems: string[] = [];
    const builtIn = readTemplateFolder(options.builtInDir, 'the built-in templates', problems);
    const overrides = options.overrideDir === undefined ? [] : readTemplateFolder(options.overrideDir, 'TEMPLATES_DIR', problems);
    // The shop's file wins over the built-in one of the same kind, language and part.
    const files = new Map<string, TemplateFile>();
    for (const file of [...builtIn, ...overrides]) files.set(`${file.kind}/${file.locale}/${file.part}`, file);
    const sets = new Map<NotificationKind, Map<string, TemplateSet>>();
    // Languages named in a problem already: their absence below needs no second line.
    const broken = new Set<string>();
    for (const [kind, locale, parts] of groupByLanguage([...files.values()], problems, broken)) {
      const compiled = await Promise.all(TEMPLATE_PARTS.map((part) => compileTemplate(parts[part], problems)));
      const [subject, html, text] = compiled;
      if (subject === undefined || html === undefined || text === undefined) {
        broken.add(`${kind}/${locale}`);
        continue;
      }
      const ofKind = sets.get(kind) ?? new Map<string, TemplateSet>();
      ofKind.set(locale, { locale, parts: { subject, html, text } });
      sets.set(kind, ofKind);
    }
    for (const kind of NOTIFICATION_KINDS) {
      const languages = sets.get(kind);
      if (broken.has(`${kind}/${LAST_RESORT_LOCALE}`) || broken.has(`${kind}/${options.defaultLocale}`)) continue;
      if (!languages?.has(LAST_RESORT_LOCALE)) problems.push(`${kind}: no usable ${LAST_RESORT_LOCALE} templates (every kind needs them: they are the last fallback)`);
      else if (!localeFallbacks(options.defaultLocale).some((locale) => languages.has(locale)))
        problems.push(`DEFAULT_LOCALE ${options.defaultLocale}: no ${kind} templates in it or its parent language; add them to TEMPLATES_DIR or choose a language there are templates for (${[...languages.keys()].join(', ')})`);
    }
    if (problems.length > 0) throw new TemplateProblems(problems);
    return new FileEmailTemplates(sets, options, overrides.filter((file) => files.get(`${file.kind}/${file.locale}/${file.part}`) === file).map((file) => file.path));
  }

  /** The languages there are templates of, for every kind: for the start-up log. */
  get languages(): string[] {
    return [...new Set([...this.sets.values()].flatMap((ofKind) => [...ofKind.keys()]))].sort();
  }

  renders(kind: NotificationKind): boolean {
    return this.sets.get(kind)?.has(LAST_RESORT_LOCALE) ?? false;
  }

  /** @throws EmailRenderError when a template fails on this notification; Error for an event its kind does not announce (a bug) */
  render(notification: Notification, addressing: Addressing): EmailMessage {
    const model = emailModelOf(notification);
    const set = this.templatesFor(model.kind, model.locale);
    const view = emailView(model, { locale: this.formattingLocale(model.locale, set.locale), language: set.locale, shop: this.options.shop, timeZone: this.options.timeZone });
    try {
      const subject = headerSafe(set.parts.subject(view), Number.POSITIVE_INFINITY);
      const withSubject = { ...view, subject };
      return emailMessage(model, { subject, html: set.parts.html(withSubject), text: set.parts.text(withSubject).trim(), language: set.locale }, addressing);
    } catch (error) {
      if (error instanceof TemplateRunError) throw new EmailRenderError(`${error.templatePath}${error.where}`, error.message, { cause: error });
      throw error;
    }
  }

  /** The nearest language with templates of `kind`: the order's, its parents, the default's, then en. */
  private templatesFor(kind: NotificationKind, locale: string | undefined): TemplateSet {
    const ofKind = this.sets.get(kind);
    const candidates = [...(locale === undefined ? [] : localeFallbacks(locale)), ...localeFallbacks(this.options.defaultLocale), LAST_RESORT_LOCALE];
    for (const candidate of candidates) {
      const set = ofKind?.get(candidate);
      if (set) return set;
    }
    throw new EmailRenderError(`${kind}/${LAST_RESORT_LOCALE}`, `no templates render ${kind} notifications`);
  }

  /**
   * The locale of the dates and numbers: the order's (de-DE, whose region may write them its own way) when the
   * templates are of its language, else the templates' own, so a fallback email never mixes two languages.
   */
  private formattingLocale(orderLocale: string | undefined, templateLocale: string): string {
    const wanted = canonicalLocale(orderLocale ?? this.options.defaultLocale);
    return wanted !== undefined && languageOf(wanted) === languageOf(templateLocale) ? wanted : templateLocale;
  }
}

const FILE_NAMES: Record<TemplatePart, (locale: string) => string> = {
  subject: (locale) => `${locale}.subject.eta`,
  html: (locale) => `${locale}.html.mjml (or .html.eta)`,
  text: (locale) => `${locale}.txt.eta`,
};

const languageOf = (locale: string): string => locale.split('-')[0]?.toLowerCase() ?? locale;

/** The files of each kind and language, complete (a subject, an HTML and a text template) or named as a problem. */
function groupByLanguage(files: readonly TemplateFile[], problems: string[], broken: Set<string>): [NotificationKind, string, Record<TemplatePart, TemplateFile>][] {
  const groups = new Map<string, Partial<Record<TemplatePart, TemplateFile>>>();
  for (const file of files) {
    const key = `${file.kind}/${file.locale}`;
    groups.set(key, { ...groups.get(key), [file.part]: file });
  }
  const complete: [NotificationKind, string, Record<TemplatePart, TemplateFile>][] = [];
  for (const [key, parts] of groups) {
    const missing = TEMPLATE_PARTS.filter((part) => parts[part] === undefined);
    const [kind, locale] = key.split('/') as [NotificationKind, string];
    if (missing.length > 0) {
      const present = Object.values(parts).map((file) => file.path);
      broken.add(key);
      problems.push(`${present.join(', ')}: ${missing.map((part) => FILE_NAMES[part](locale)).join(' and ')} missing beside it; a language needs a subject, an html and a txt template`);
      continue;
    }
    complete.push([kind, locale, parts as Record<TemplatePart, TemplateFile>]);
  }
  return complete;
}
