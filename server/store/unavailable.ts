/**
 * Is this driver error the database being out of reach (down, restarting,
 * out of disk) rather than the request being wrong? Then the caller may try
 * again later: the API says 503 BERTH_ERR_STORE_UNAVAILABLE, not 500.
 */
export function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // the socket to PostgreSQL
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) return true;
    // SQLSTATE: connection exception (08), insufficient resources (53), operator intervention (57P: shutdown, cannot connect now)
    if (/^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[1-4]$/.test(code)) return true;
    // SQLite: the file cannot be written or read right now
    if (/^SQLITE_(FULL|IOERR|CANTOPEN|READONLY|BUSY|LOCKED)/.test(code)) return true;
  }
  // pg's own errors when the connection went away under a query carry no code
  return typeof message === 'string' && /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(message);
}
