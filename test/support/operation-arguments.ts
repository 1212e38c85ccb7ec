// The conformance kit's arguments for every operation, which the host tests call too.
export { OPERATION_ARGUMENTS } from '../../server/conformance/operation-arguments.js';
