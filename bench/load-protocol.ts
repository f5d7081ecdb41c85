// The messages between the orchestrator (bench/run.ts) and the load process (bench/load.ts), over the IPC channel.

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly count: number;
}

export type LoadCommand =
  /** Sends `rate` POST /orders a second for `durationMs`, open loop; answers when every request is answered (or given up). */
  | { readonly type: 'send'; readonly id: number; readonly base: string; readonly prefix: string; readonly rate: number; readonly durationMs: number }
  /** Answers when every order of `prefix` that got a 202 has been emailed, or at `deadline` (epoch ms), whichever comes first. */
  | { readonly type: 'emails'; readonly id: number; readonly prefix: string; readonly deadline: number }
  | { readonly type: 'stop'; readonly id: number };

export interface SendResult {
  readonly sent: number;
  readonly accepted: number;
  /** Answers other than 202, by status. */
  readonly otherStatuses: Record<string, number>;
  readonly errors: number;
  readonly unanswered: number;
  readonly firstError?: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly lastSentAt: number;
  readonly lastAnsweredAt: number;
  /** 202s a second, from the first request to the last answer. */
  readonly achievedRate: number;
  /** From each request's due time (not when it left): a stalled generator or server shows, it is not hidden. Milliseconds. */
  readonly api: Percentiles;
}

export interface EmailsResult {
  readonly accepted: number;
  readonly emailed: number;
  /** Epoch ms of the last email of the prefix received, 0 when none. */
  readonly lastEmailAt: number;
  /** Email accepted by the sink (its 250) − the 202 of the order. Milliseconds. */
  readonly endToEnd: Percentiles;
}

export type LoadReply =
  | { readonly type: 'ready'; readonly smtpPort: number }
  | { readonly type: 'sent'; readonly id: number; readonly result: SendResult }
  | { readonly type: 'emails'; readonly id: number; readonly result: EmailsResult }
  | { readonly type: 'stopped'; readonly id: number; readonly duplicates: number; readonly unknown: number; readonly duplicateSample: readonly string[] };
