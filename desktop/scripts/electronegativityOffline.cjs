// Preloaded into Electronegativity by electronegativity.mjs. Offline, its two look-ups (the
// Electron release list and its translations) fail and it says so ("No connectivity?"), but its
// HTTP client (got 9) on Node 22+ then throws from its own retry timers ("The `onCancel` handler
// was attached after the promise settled.", or the request's RequestError) and kills the run. Those
// network errors are ignored: the analysis needs neither look-up. Any other error stays fatal.
'use strict';
const offline = (err) =>
  err instanceof Error &&
  (err.name === 'RequestError' || err.message.includes('`onCancel` handler was attached after the promise settled'));
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (err) => {
    if (offline(err)) return;
    console.error(err);
    process.exit(1);
  });
}
