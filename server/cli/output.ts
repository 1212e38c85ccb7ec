export { reportError } from '../../datastores/errors/report-error.js';
export { formatBytes, wrapList } from '../../datastores/toolchain/report-text.js';
