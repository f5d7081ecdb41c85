import type { EmailModel } from '../../application/templates/email-model.js';

/** The shop as its emails show it (SHOP_NAME, SHOP_LOGO_URL, SHOP_SUPPORT_EMAIL, SHOP_BRAND_COLOR). */
export interface ShopBrand {
  readonly name: string;
  /** https only. */
  readonly logoUrl?: string;
  readonly supportEmail?: string;
  /** #rgb or #rrggbb. */
  readonly brandColor: string;
}

/** A date as the emails write it unless a template asks otherwise: "24 November 2026 at 12:00 UTC", in the locale's words. */
const DATE_TIME: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };

const NONE = {};

/** Intl formatters take far longer to make than to use (a date: ~100 µs against ~2): each is made once per locale, zone and style. */
const formatters = new Map<string, object>();
/** Styles are the templates' own, so few; the bound only keeps a template that builds them from data from growing the map. */
const MAX_FORMATTERS = 512;

function formatter<T extends object>(kind: string, locale: string, timeZone: string, style: object, make: () => T): T {
  const key = `${kind}\n${locale}\n${timeZone}\n${style === DATE_TIME || style === NONE ? '' : JSON.stringify(style)}`;
  let made = formatters.get(key) as T | undefined;
  if (made === undefined) {
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    made = make();
    formatters.set(key, made);
  }
  return made;
}

/**
 * What a template sees as `it` (templates/README.md lists it): the model, its dates, numbers and lists written
 * with Intl for `locale` in the shop's time zone, the shop's brand, and the formatters for anything else.
 */
export function emailView(model: EmailModel, options: { readonly locale: string; readonly language: string; readonly shop: ShopBrand; readonly timeZone: string }): Record<string, unknown> {
  const { locale, timeZone } = options;
  const format = {
    date: (iso: string | Date, style: Intl.DateTimeFormatOptions = DATE_TIME): string => formatter('date', locale, timeZone, style, () => new Intl.DateTimeFormat(locale, { timeZone, ...style })).format(new Date(iso)),
    number: (value: number, style: Intl.NumberFormatOptions = NONE): string => formatter('number', locale, '', style, () => new Intl.NumberFormat(locale, style)).format(value),
    list: (values: readonly string[], style: Intl.ListFormatOptions = NONE): string =>
      formatter('list', locale, '', style, () => new Intl.ListFormat(locale, { style: 'long', type: 'conjunction', ...style })).format(values),
    /** The plural category of a count in the locale (one, few, many, other…), to choose a word by. */
    plural: (count: number): Intl.LDMLPluralRule => formatter('plural', locale, '', NONE, () => new Intl.PluralRules(locale)).select(count),
  };
  const { order, change } = model;
  return {
    kind: model.kind,
    locale,
    language: options.language,
    shop: { ...options.shop },
    order: {
      id: order.id,
      shortId: order.shortId,
      reference: order.reference,
      ...(order.items === undefined ? {} : { items: [...order.items], itemList: format.list(order.items), itemCount: order.items.length }),
      ...(order.placedAt === undefined ? {} : { placedAt: format.date(order.placedAt), placedAtIso: order.placedAt }),
    },
    ...(change === undefined ? {} : { change: { ...change, at: format.date(change.at), atIso: change.at } }),
    format,
  };
}
