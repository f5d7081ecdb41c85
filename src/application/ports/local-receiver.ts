/**
 * What became of handing a secret to the development receiver (`npm run receiver`): `taken`; `unreachable`
 * (not running, or no answer in time); `refused` (it answered, but not with a 2xx).
 */
export type HandOverOutcome = 'taken' | 'unreachable' | 'refused';

/** The development receiver on this machine, which verifies the signatures of the deliveries it gets. */
export interface LocalReceiver {
  /** The URL deliveries to it are posted to. */
  readonly url: string;
  /** Gives it the secret that signs the deliveries of `endpointId`; never throws. */
  handOver(endpointId: string, secret: string): Promise<HandOverOutcome>;
}
