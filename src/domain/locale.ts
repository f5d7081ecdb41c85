import type { FieldError } from './errors.js';

/**
 * The customer's language (and region), as a BCP 47 tag such as `de` or `de-DE`: the language an email is
 * written in, and how its dates, numbers and lists read. The pattern is the tag's syntax, for the request and
 * event schemas, with a language of 2 or 3 letters (ISO 639: BCP 47's longer ones are reserved or unused, and
 * `german` is a mistake); `Intl.getCanonicalLocales` has the last word on what is well formed.
 */
export const LOCALE_RULES = {
  /** RFC 5646 asks every implementation to keep tags of at least 35 characters. */
  maxLength: 35,
  pattern: '^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$',
  message: 'must be a BCP 47 language tag such as de or de-DE',
} as const;

const LOCALE_SYNTAX = new RegExp(LOCALE_RULES.pattern);

/** `tag` in its canonical form (`de-de` → `de-DE`, `iw` → `he`), or undefined when it is not a well-formed tag of at most 35 characters. */
export function canonicalLocale(tag: string): string | undefined {
  if (tag.length > LOCALE_RULES.maxLength || !LOCALE_SYNTAX.test(tag)) return undefined;
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical !== undefined && canonical.length <= LOCALE_RULES.maxLength ? canonical : undefined;
  } catch {
    return undefined;
  }
}

/** The rule a locale breaks, as every adapter reports it: one message, whatever is wrong with the tag. */
export function localeProblems(field: string, raw: string): FieldError[] {
  return canonicalLocale(raw.trim()) === undefined ? [{ field, message: LOCALE_RULES.message }] : [];
}

/**
 * Where to look for a text in `locale`, nearest first: the tag, then the tag with its last subtag dropped, and
 * so on (`de-Latn-DE`, `de-Latn`, `de`). A tag that is not well formed has no such list.
 */
export function localeFallbacks(locale: string): string[] {
  const canonical = canonicalLocale(locale);
  if (canonical === undefined) return [];
  // Extensions (-u-…, -x-…) choose a calendar or a private use, never another language: they are left out.
  const subtags = canonical.split(/-[a-zA-Z0-9]-/)[0]?.split('-') ?? [];
  const chain: string[] = [];
  for (let length = subtags.length; length > 0; length--) chain.push(subtags.slice(0, length).join('-'));
  return chain;
}
