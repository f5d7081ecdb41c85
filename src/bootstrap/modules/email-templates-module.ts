import { fileURLToPath } from 'node:url';
import { ContainerModule } from 'inversify';
import type { Logger } from '../../application/ports/logger.js';
import { FileEmailTemplates, TemplateProblems } from '../../adapters/templates/file-email-templates.js';
import { ConfigError, type Config } from '../config.js';
import { provide, T } from '../tokens.js';

/** The templates that ship with ordermail (`templates/` at the top of the package, beside dist/ and src/). */
export const BUILT_IN_TEMPLATES_DIR = fileURLToPath(new URL('../../../templates/', import.meta.url));

/**
 * Reads and compiles every email template: the built-in ones, with TEMPLATES_DIR's in their place. A template that
 * cannot be compiled is a configuration error naming its file and line (exit 2), not a failure at the first email.
 */
export async function loadEmailTemplates(config: Config, logger?: Logger): Promise<FileEmailTemplates> {
  const { emails } = config;
  try {
    const templates = await FileEmailTemplates.load({
      builtInDir: BUILT_IN_TEMPLATES_DIR,
      ...(emails.templatesDir === undefined ? {} : { overrideDir: emails.templatesDir }),
      shop: emails.shop,
      defaultLocale: emails.defaultLocale,
      timeZone: emails.timeZone,
    });
    logger?.info('email templates compiled', { languages: templates.languages, defaultLocale: emails.defaultLocale, ...(emails.templatesDir === undefined ? {} : { templatesDir: emails.templatesDir, overrides: templates.overrides }) });
    return templates;
  } catch (error) {
    if (error instanceof TemplateProblems) throw new ConfigError(error.problems.map((problem) => `email template: ${problem}`));
    throw error;
  }
}

/** The email templates, for the notifier and the admin page's preview. */
export function emailTemplatesModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.EmailTemplates, [T.Config, T.Logger], (config, logger) => loadEmailTemplates(config, logger.child({ component: 'templates' })));
  });
}
