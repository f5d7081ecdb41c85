import type { FieldError } from './errors.js';

/** C0, DEL and C1 control characters, as the inside of a regular expression's character class. */
export const CONTROL_CODE_CLASS = '\\u0000-\\u001f\\u007f-\\u009f';

/** UTF-16 surrogates; read with the u flag, the range matches only unpaired ones (no text a database can store). */
export const SURROGATE_CLASS = '\\ud800-\\udfff';

// Control characters and unpaired surrogates: never part of an identifier, often part of an attack.
export const CONTROL_CHARACTER_CLASS = `${CONTROL_CODE_CLASS}${SURROGATE_CLASS}`;

/** Text without control characters or unpaired surrogates, as a JSON Schema pattern (ECMAScript, u flag) with its message. */
export const PLAIN_TEXT_RULE = {
  pattern: `^[^${CONTROL_CHARACTER_CLASS}]*$`,
  message: 'must not contain control characters or unpaired surrogates',
} as const;

export const CONTROL_CHARACTERS = new RegExp(`[${CONTROL_CHARACTER_CLASS}]`, 'u');

/** A text's length as JSON Schema's minLength and maxLength count it: in code points, so an emoji is one character. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _codePoint of text) count++;
  return count;
}

export const NOT_EMPTY_MESSAGE = 'must not be empty';

/** The message of every maximum length, whichever field it limits. */
export function atMostCharactersMessage(maxLength: number): string {
  return `must be at most ${maxLength} characters`;
}

/** Every rule a plain text breaks, one message each: not empty, at most `maxLength` characters, no control characters. */
export function plainTextProblems(field: string, text: string, maxLength: number): FieldError[] {
  const problems: FieldError[] = [];
  if (text.length === 0) problems.push({ field, message: NOT_EMPTY_MESSAGE });
  if (characterCount(text) > maxLength) problems.push({ field, message: atMostCharactersMessage(maxLength) });
  if (CONTROL_CHARACTERS.test(text)) problems.push({ field, message: PLAIN_TEXT_RULE.message });
  return problems;
}
