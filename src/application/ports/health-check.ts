export interface HealthCheck {
  readonly name: string;
  /** A failing critical check makes the service unhealthy; others are reported only. */
  readonly critical: boolean;
  /** A failing check that is not critical still makes the process not ready (GET /ready) when set. */
  readonly requiredForReady?: boolean;
  /**
   * Resolves with details to show, rejects when the dependency is not usable: with a HealthCheckFailure
   * to say why. /health is public: anything else thrown shows as `failing`, its text only in the log.
   */
  check(): Promise<Record<string, unknown> | void>;
}

/** A failing check, in words fit for /health (a kind, never an address or a driver's text), with details to show (a backlog, a circuit state). */
export class HealthCheckFailure extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
