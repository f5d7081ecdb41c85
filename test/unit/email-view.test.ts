import { expect } from 'chai';
import { emailView } from '../../src/adapters/templates/email-view.js';
import type { EmailModel } from '../../src/application/templates/email-model.js';

const model: EmailModel = { kind: 'order-created', order: { id: 'o-1', shortId: 'o-1', reference: 'r-1', items: ['a', 'b', 'c'], placedAt: '2026-11-24T23:30:00.000Z' } };
const shop = { name: 'Shop', brandColor: '#000' };
type Format = { date(iso: string, style?: Intl.DateTimeFormatOptions): string; number(value: number, style?: Intl.NumberFormatOptions): string; list(values: string[], style?: Intl.ListFormatOptions): string; plural(count: number): string };
const formatOf = (view: Record<string, unknown>) => view.format as Format;

describe('emailView formatters', () => {
  it('write each locale, time zone and style their own way however views are made one after another', () => {
    const en = emailView(model, { locale: 'en', language: 'en', shop, timeZone: 'UTC' });
    const de = emailView(model, { locale: 'de-DE', language: 'de', shop, timeZone: 'Europe/Berlin' });
    const enAgain = emailView(model, { locale: 'en', language: 'en', shop, timeZone: 'UTC' });
    expect((en.order as { placedAt: string }).placedAt).to.equal('November 24, 2026 at 11:30 PM UTC');
    expect((de.order as { placedAt: string }).placedAt).to.equal('25. November 2026 um 00:30 MEZ');
    expect(enAgain.order).to.deep.equal(en.order);
    expect((de.order as { itemList: string }).itemList).to.equal('a, b und c');
    expect(formatOf(en).date('2026-11-24T23:30:00.000Z', { dateStyle: 'short' })).to.equal('11/24/26');
    expect(formatOf(de).date('2026-11-24T23:30:00.000Z', { dateStyle: 'short' })).to.equal('25.11.26');
    expect(formatOf(de).date('2026-11-24T23:30:00.000Z', { dateStyle: 'short', timeZone: 'UTC' })).to.equal('24.11.26');
    expect(formatOf(en).number(1234.5)).to.equal('1,234.5');
    expect(formatOf(de).number(1234.5)).to.equal('1.234,5');
    expect(formatOf(de).number(0.5, { style: 'percent' })).to.equal('50\u00a0%');
    expect(formatOf(en).list(['x', 'y'], { type: 'disjunction' })).to.equal('x or y');
    expect(formatOf(en).plural(1)).to.equal('one');
    expect(formatOf(emailView(model, { locale: 'pl', language: 'pl', shop, timeZone: 'UTC' })).plural(3)).to.equal('few');
  });

  it('still fails on a style Intl refuses, every time', () => {
    const en = emailView(model, { locale: 'en', language: 'en', shop, timeZone: 'UTC' });
    expect(() => formatOf(en).date('2026-11-24T23:30:00.000Z', { timeZone: 'Mars/Olympus' })).to.throw(RangeError);
    expect(() => formatOf(en).date('2026-11-24T23:30:00.000Z', { timeZone: 'Mars/Olympus' })).to.throw(RangeError);
  });
});
