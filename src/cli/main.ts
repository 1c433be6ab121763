#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerOperateCommands } from './commands/operate';
import { registerRenderCommand } from './commands/render';
import { registerValidateCommand } from './commands/validate';
import { EXIT_OK, EXIT_USAGE, UsageError, type CliContext, type CliIo } from './io';

/** The `thanos-installer` command line: a registry of commands, each in its own file under commands/. */
export function buildProgram(context: CliContext): Command {
  const program = new Command('thanos-installer')
    .description('Install and operate the Thanos monitoring backend of a TKEStack global cluster.')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
    });
  registerValidateCommand(program, context);
  registerRenderCommand(program, context);
  registerOperateCommands(program, context);
  return program;
}

/** Runs one command line (`argv` as in process.argv) and returns its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const context: CliContext = { io, exitCode: EXIT_OK };
  try {
    await buildProgram(context).parseAsync([...argv]);
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed the usage problem, or the help that was asked for.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

if (require.main === module) {
  void main(process.argv, process).then((code) => {
    process.exitCode = code;
  });
}
