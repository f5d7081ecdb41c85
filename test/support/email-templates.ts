import { FileEmailTemplates, type EmailTemplatesOptions } from '../../src/adapters/templates/file-email-templates.js';
import { BUILT_IN_TEMPLATES_DIR } from '../../src/bootstrap/modules/email-templates-module.js';

/** The brand and settings of the built-in templates as a shop that configured nothing gets them. */
export const DEFAULT_TEMPLATE_OPTIONS: EmailTemplatesOptions = {
  builtInDir: BUILT_IN_TEMPLATES_DIR,
  shop: { name: 'ordermail', brandColor: '#2b6cb0' },
  defaultLocale: 'en',
  timeZone: 'UTC',
};

let builtIn: Promise<FileEmailTemplates> | undefined;

/** ordermail's own templates, compiled once per test run (MJML takes about a second). */
export function builtInTemplates(): Promise<FileEmailTemplates> {
  builtIn ??= FileEmailTemplates.load(DEFAULT_TEMPLATE_OPTIONS);
  return builtIn;
}
