/** Defaults of a job's policy that more than one module needs (the parser, the history, the supervisor). */

/** policy.history: runs kept in a job's history (and their log files). */
export const DEFAULT_HISTORY_KEEP = 100;
