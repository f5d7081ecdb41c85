import { readFileSync } from 'node:fs';

/** ordermail's version, from package.json: in the OpenAPI document and the webhooks' User-Agent. */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
