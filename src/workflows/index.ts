// Every workflow the worker registers.
export { checkWorker } from './check-worker';
export { installThanos } from './install';
export { uninstallThanos } from './uninstall';
export { verifyThanos } from './verify';
