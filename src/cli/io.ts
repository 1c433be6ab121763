import { readFile } from 'node:fs/promises';
import { validateInstallRequest, type InstallRequestValidation } from '../request/validate';

/** The streams a command talks to; tests pass their own. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: AsyncIterable<string | Buffer>;
}

export const EXIT_OK = 0;
/** The request is wrong: every problem has been printed. */
export const EXIT_INVALID = 1;
/** The command line is wrong, or a file could not be read. */
export const EXIT_USAGE = 2;
/** `plan`: the install would change something (0 says it would change nothing). */
export const EXIT_CHANGES = 3;

/** Shared by the commands: where the exit code of the one that ran ends up. */
export interface CliContext {
  io: CliIo;
  exitCode: number;
}

/** A problem with the command line or its files rather than with the request (exit code 2). */
export class UsageError extends Error {}

async function readInput(file: string, io: CliIo): Promise<string> {
  if (file === '-') {
    let text = '';
    for await (const chunk of io.stdin) text += chunk.toString();
    return text;
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * Reads and validates the request in `file` (`-` for stdin). Problems with the
 * request are printed one per line as `path: message`, and set exit code 1.
 */
export async function loadValidRequest(
  file: string,
  context: CliContext,
): Promise<Extract<InstallRequestValidation, { ok: true }> | undefined> {
  const source = file === '-' ? 'stdin' : file;
  const text = await readInput(file, context.io);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    context.io.stderr.write(`${source}: not valid JSON: ${(error as Error).message}\n`);
    context.exitCode = EXIT_INVALID;
    return undefined;
  }
  const validation = validateInstallRequest(raw);
  if (validation.ok) return validation;
  for (const error of validation.errors) context.io.stderr.write(`${error.path}: ${error.message}\n`);
  context.io.stderr.write(
    `${source}: ${validation.errors.length} problem${validation.errors.length === 1 ? '' : 's'} found\n`,
  );
  context.exitCode = EXIT_INVALID;
  return undefined;
}
