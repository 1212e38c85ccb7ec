/** @module Interface wasi:logging/logging@0.1.0-draft **/
/**
 * Emit a log line; `context` names the part of the component that speaks.
 */
export function log(level: Level, context: string, message: string): void;
/**
 * # Variants
 * 
 * ## `"trace"`
 * 
 * ## `"debug"`
 * 
 * ## `"info"`
 * 
 * ## `"warn"`
 * 
 * ## `"error"`
 * 
 * ## `"critical"`
 */
export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';
