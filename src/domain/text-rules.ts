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
