import { expect } from 'chai';
import { maskEmail, seesFullEmail } from '../../src/adapters/http/order-resource.js';

describe('What a caller without a key sees of an address', () => {
  const cases: [string, string, string][] = [
    ['an ordinary address', 'ada@example.com', 'a•••@example.com'],
    ['a local part of two characters', 'ab@example.com', 'a•••@example.com'],
    ['a local part of one character: none of it, or it would be all of it', 'a@example.com', '•••@example.com'],
    ['a very long local part: its length is hidden too', `${'x'.repeat(64)}@example.com`, 'x•••@example.com'],
    ['a sub-address', 'ada+orders@example.com', 'a•••@example.com'],
    ['odd characters', "o'brien!#$%&*+/=?^_`{|}~-@example.com", 'o•••@example.com'],
    ['a first character outside the BMP, kept whole', '😀smile@example.com', '😀•••@example.com'],
    ['a first character with a combining accent, kept whole', 'e\u0301lodie@example.com', 'e\u0301•••@example.com'],
    ['an internationalised address', 'ünïcødé@exämple.com', 'ü•••@exämple.com'],
    ['nothing before the @', '@example.com', '•••@example.com'],
    ['no @ at all', 'not-an-address', '•••'],
  ];
  for (const [what, email, masked] of cases) it(`masks ${what}: ${masked}`, () => expect(maskEmail(email)).to.equal(masked));

  it('shows the full address only to a caller holding an API key', () => {
    expect(seesFullEmail({ kind: 'key', id: '3f1c9a2b' })).to.equal(true);
    expect(seesFullEmail({ kind: 'anonymous' })).to.equal(false);
    expect(seesFullEmail(undefined)).to.equal(false);
  });
});
