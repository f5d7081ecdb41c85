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

/**
 * What a template sees as `it` (templates/README.md lists it): the model, its dates, numbers and lists written
 * with Intl for `locale` in the shop's time zone, the shop's brand, and the formatters for anything else.
 */
export function emailView(model: EmailModel, options: { readonly locale: string; readonly language: string; readonly shop: ShopBrand; readonly timeZone: string }): Record<string, unknown> {
  const { locale, timeZone } = options;
  const format = {
    date: (iso: string | Date, style: Intl.DateTimeFormatOptions = DATE_TIME): string => new Intl.DateTimeFormat(locale, { timeZone, ...style }).format(new Date(iso)),
    number: (value: number, style: Intl.NumberFormatOptions = {}): string => new Intl.NumberFormat(locale, style).format(value),
    list: (values: readonly string[], style: Intl.ListFormatOptions = {}): string => new Intl.ListFormat(locale, { style: 'long', type: 'conjunction', ...style }).format(values),
    /** The plural category of a count in the locale (one, few, many, other…), to choose a word by. */
    plural: (count: number): Intl.LDMLPluralRule => new Intl.PluralRules(locale).select(count),
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
