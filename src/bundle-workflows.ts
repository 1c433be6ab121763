/**
 * Run by `npm run build`: bundles the workflow code once, at build time, into
 * dist/workflow-bundle.js. The worker loads that file instead of running
 * webpack itself at start-up, which costs it seconds and most of its peak
 * memory.
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOW_BUNDLE } from './worker';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
  writeFileSync(WORKFLOW_BUNDLE, code);
}

main().catch((err: unknown) => {
  process.stderr.write(`bundling the workflows failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
