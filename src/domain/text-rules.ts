// C0, DEL and C1 control characters, and UTF-16 surrogates left unpaired (no text a database can store):
// never part of an identifier, often part of an attack. Read with the u flag, where the surrogate range
// matches only unpaired surrogates.
export const CONTROL_CHARACTER_CLASS = '\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff';

/** Text without control characters or unpaired surrogates, as a JSON Schema pattern (ECMAScript, u flag) with its message. */
export const PLAIN_TEXT_RULE = {
  pattern: `^[^${CONTROL_CHARACTER_CLASS}]*$`,
  message: 'must not contain control characters or unpaired surrogates',
} as const;

export const CONTROL_CHARACTERS = new RegExp(`[${CONTROL_CHARACTER_CLASS}]`, 'u');
