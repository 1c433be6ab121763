// Every workflow the worker registers.
export { checkWorker } from './check-worker';
export { watchDrift } from './drift';
export { installThanos } from './install';
export { planThanos } from './plan';
export { reconfigureThanos } from './reconfigure';
export { uninstallThanos } from './uninstall';
export { verifyThanos } from './verify';
