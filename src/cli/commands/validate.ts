import type { Command } from 'commander';
import { installNotes } from '../../render';
import { loadValidRequest, type CliContext } from '../io';

export function registerValidateCommand(program: Command, context: CliContext): void {
  program
    .command('validate')
    .description('check an install request and print every problem with its JSON path')
    .requiredOption('-f, --file <path>', 'the request JSON ({cluster, config}), or - for stdin')
    .action(async (options: { file: string }) => {
      const valid = await loadValidRequest(options.file, context);
      if (valid === undefined) return;
      const { settings } = valid;
      const summary = `valid: Thanos ${settings.image}, objstore ${settings.bucketConfig.type}, GLOBAL_NODE_IP ${settings.globalNodeIp.address}`;
      context.io.stdout.write([summary, ...installNotes(settings).map((note) => `  ${note}`)].join('\n') + '\n');
    });
}
