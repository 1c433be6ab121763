#!/usr/bin/env node
/**
 * The local test ground: `build` compiles the pinned binaries into the cache;
 * `up` starts Temporal, Kubernetes with kwok nodes and a real node, and MinIO, writes their
 * coordinates to a file, and keeps them running until it is interrupted or
 * the process that started it dies.
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { ensureBinaries, startTestGround, writeCoordinates } from './ground';
import { isAlive } from './process';

function describe(file: string, c: import('./coordinates').TestGroundCoordinates): string {
  return [
    `Temporal:   ${c.temporal.address} (namespace ${c.temporal.namespace})`,
    `Web UI:     ${c.temporal.uiUrl}`,
    `Codec:      ${c.codec.endpoint} (HTTPS with the certificate ${c.codec.certFile}; its token is in the coordinates)`,
    `Kubernetes: ${c.kubernetes.server}, kubeconfig ${c.kubernetes.kubeconfig}`,
    `Nodes:      ${c.kubernetes.nodes.map((n) => `${n.name} (${n.kind}, ${n.ip})`).join(', ')}`,
    `S3:         http://${c.s3.endpoint} (pods: http://${c.s3.nodeEndpoint}), bucket ${c.s3.bucket}, access key ${c.s3.accessKey}`,
    `Network:    GLOBAL_NODE_IP ${c.realNode.ip} and the business cluster ${c.businessCluster.ip} exist only inside the test ground:`,
    `            nsenter -t ${c.realNode.netnsPid} -n <command> runs a command there`,
    `Logs:       ${join(c.runDir, 'logs')}`,
    `Coordinates: ${file}`,
  ].join('\n');
}

async function up(options: { coordinates?: string; watchParent?: string }): Promise<void> {
  const started = Date.now();
  const ground = await startTestGround();
  const file = options.coordinates ?? join(ground.coordinates.runDir, 'coordinates.json');
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[testground] stopping (${why})\n`);
    await ground.stop();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
  const parent = options.watchParent ? Number(options.watchParent) : undefined;
  if (parent) {
    setInterval(() => {
      if (!isAlive(parent)) void stop(`parent process ${parent} is gone`);
    }, 1000);
  }
  // Written last and atomically: the file's appearance means "ready".
  writeCoordinates(`${file}.tmp`, ground.coordinates);
  renameSync(`${file}.tmp`, file);
  process.stdout.write(`${describe(file, ground.coordinates)}\nStarted in ${((Date.now() - started) / 1000).toFixed(1)}s. Ctrl-C stops everything.\n`);
}

const program = new Command('testground').description('The local test ground: Temporal dev server, Kubernetes with kwok nodes and a real node, MinIO');
program
  .command('build')
  .description('build the pinned binaries into the cache (skips those already built)')
  .action(async () => ensureBinaries());
program
  .command('up')
  .description('start everything on 127.0.0.1 and keep it running until interrupted')
  .option('--coordinates <file>', 'where to write the coordinates JSON (default: in the run directory)')
  .option('--watch-parent <pid>', 'stop when this process ends')
  .action(up);

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`[testground] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
