import type * as Logging from '../generated/interfaces/wasi-logging-logging.js';

export type LogLevel = Logging.Level;

export interface ManagerLogEntry {
  level: LogLevel;
  context: string;
  message: string;
}

/** wasi:logging: every line goes to the sink the host chooses (its logger, a test's array). */
export function createLogging(sink: (entry: ManagerLogEntry) => void): typeof Logging {
  return {
    log: (level, context, message) => sink({ level, context, message }),
  };
}
