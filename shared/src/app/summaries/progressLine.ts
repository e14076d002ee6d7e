/** A job's progress as one line a front end shows (a notification, a status bar), with a percentage when one is known. */
export interface ProgressLine {
  message: string;
  percent?: number;
}
