import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into a payload, which the codec
 * encrypts like any other: history holds "Encoded failure" in their place,
 * and the SDK, the progress query and the Web UI (through the codec
 * endpoint) show them decoded. Loaded by path, so that the workflow sandbox
 * uses it too.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
