// Every workflow the worker registers.
export { checkWorker } from './check-worker';
