/** Nightly at 02:00 local time: what a new source gets unless told otherwise. */
export const DEFAULT_CRON = '0 2 * * *';
