/** What the tests read of an email an order's notification sent: enough to say which notification it was. */
export interface ReceivedEmail {
  readonly headers: Readonly<Record<string, string>>;
  readonly messageId: string;
  readonly subject: string;
}

/** A status an order can be moved to with POST /orders/{orderId}/status. */
export type Step = 'shipped' | 'delivered' | 'cancelled';

const MESSAGE_ID = /^<(order-[a-z]+)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@([^>]+)>$/;

/** The subject of each kind, as the templates word it. */
const SUBJECTS: Record<string, (orderId: string) => string> = {
  'order-created': (id) => `Order ${id} received`,
  'order-shipped': (id) => `Order ${id} has shipped`,
  'order-delivered': (id) => `Order ${id} delivered`,
  'order-cancelled': (id) => `Order ${id} cancelled`,
};

/** The notifications an order's customer gets, in their order: its confirmation, then one per status it was moved to. */
export function kindsFor(steps: readonly Step[]): string[] {
  return ['order-created', ...steps.map((step) => `order-${step}`)];
}

/** The kind an email announces, read from its Message-ID (`<{kind}-{internalId}@domain>`). */
export function kindOf(email: ReceivedEmail): string {
  return MESSAGE_ID.exec(email.messageId)?.[1] ?? `unrecognised Message-ID ${email.messageId}`;
}

/** Per order (its X-Order-Id header), the kinds of the emails it got, in the order the server took them. */
export function kindsByOrder(emails: readonly ReceivedEmail[]): Record<string, string[]> {
  const byOrder: Record<string, string[]> = {};
  for (const email of emails) (byOrder[email.headers['x-order-id'] ?? '(no X-Order-Id)'] ??= []).push(kindOf(email));
  return byOrder;
}

/** The same, with a copy that follows its original at once counted once: what a crash's duplicate looks like. */
export function kindsByOrderWithoutRepeats(emails: readonly ReceivedEmail[]): Record<string, string[]> {
  return Object.fromEntries(Object.entries(kindsByOrder(emails)).map(([orderId, kinds]) => [orderId, kinds.filter((kind, i) => kind !== kinds[i - 1])]));
}

/**
 * The emails that do not say who they are as they should: a Message-ID other than `<{kind}-{internalId}@domain>`
 * with the order's internal id, or a subject other than its kind's.
 */
export function misidentified(emails: readonly ReceivedEmail[], internalIds: ReadonlyMap<string, string>, domain: string): string[] {
  return emails.flatMap((email) => {
    const orderId = email.headers['x-order-id'] ?? '';
    const match = MESSAGE_ID.exec(email.messageId);
    const [, kind = '', internalId, messageDomain] = match ?? [];
    const problems = [
      ...(match ? [] : ['a Message-ID not of the form <{kind}-{internalId}@domain>']),
      ...(match && internalId !== internalIds.get(orderId) ? [`internal id ${internalId ?? ''}, not ${internalIds.get(orderId) ?? '(an order not created here)'}`] : []),
      ...(match && messageDomain !== domain ? [`domain ${messageDomain ?? ''}, not ${domain}`] : []),
      ...(match && email.subject !== SUBJECTS[kind]?.(orderId) ? [`subject "${email.subject}" for ${kind}`] : []),
    ];
    return problems.map((problem) => `${orderId} ${email.messageId}: ${problem}`);
  });
}
