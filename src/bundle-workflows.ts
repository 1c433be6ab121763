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
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: new DefaultLogger('WARN'),
    // The worker needs an inline source map, but not one carrying a copy of
    // every module's source (half the bundle, parsed by every worker thread):
    // lines still map to the compiled files.
    webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-cheap-source-map' }),
  });
  writeFileSync(WORKFLOW_BUNDLE, code);
}

main().catch((err: unknown) => {
  process.stderr.write(`bundling the workflows failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
