import { Ajv } from 'ajv';
import type { FieldError } from '../../domain/errors.js';
import { PLAIN_TEXT_RULE } from '../../domain/text-rules.js';
import { WEBHOOK_DESCRIPTION_MAX_LENGTH, WEBHOOK_EVENT_TYPE_LIST, WEBHOOK_URL_MAX_LENGTH } from '../../domain/webhook-endpoint.js';
import { parseRequest, shapeOf, type Parsed } from './order-schemas.js';

/**
 * The body of `POST /admin/api/webhooks` as the OpenAPI document shows it, the domain's rules included; the
 * server validates only its shape against it, the rules are the domain's (checkWebhookUrl, checkWebhookEvents…).
 */
export const registerWebhookSchema = {
  $id: 'RegisterWebhookRequest',
  type: 'object',
  additionalProperties: false,
  required: ['url', 'events'],
  properties: {
    url: {
      type: 'string',
      maxLength: WEBHOOK_URL_MAX_LENGTH,
      description:
        'Where the deliveries are posted: an absolute https URL without user, password or fragment, whose host resolves to public addresses only (http://localhost… when WEBHOOK_ALLOW_INSECURE=true).',
    },
    events: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPE_LIST] },
      description: 'The event types the endpoint receives (a repeated one counts once).',
    },
    description: {
      type: 'string',
      minLength: 1,
      maxLength: WEBHOOK_DESCRIPTION_MAX_LENGTH,
      pattern: PLAIN_TEXT_RULE.pattern,
      description: 'For the admins: whose endpoint it is. Surrounding whitespace is trimmed.',
    },
  },
} as const;

export interface RegisterWebhookBody {
  url: string;
  events: string[];
  description?: string;
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validateRegisterWebhook = ajv.compile<RegisterWebhookBody>(shapeOf(registerWebhookSchema));

/** The body when its shape is right, or every problem: the shape's, and `ruleProblems` of the fields whose shape is right. */
export function parseRegisterWebhook(body: unknown, ruleProblems: (wellShaped: Partial<RegisterWebhookBody>) => FieldError[]): Parsed<RegisterWebhookBody> {
  return parseRequest(body, validateRegisterWebhook, ruleProblems);
}
