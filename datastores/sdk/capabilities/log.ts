import { log as logImport, type Level } from 'wasi:logging/logging@0.1.0-draft';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Log lines go to the operator through wasi:logging, tagged with the running operation. */
export function logger(context: string): Logger {
  const at = (level: Level) => (message: string) => logImport(level, context, message);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
