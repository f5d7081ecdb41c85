// Preloaded into a role (NODE_OPTIONS="--expose-gc --import=<this file>") to collect garbage all the time:
// a timer or signal that nothing references is collected at once, as it may be, rarely, in production.
const everyMs = Number(process.env.GC_PRESSURE_EVERY_MS ?? 20);
if (typeof globalThis.gc !== 'function') throw new Error('gc-pressure.mjs needs --expose-gc');
globalThis.setInterval(() => globalThis.gc(), everyMs).unref();
