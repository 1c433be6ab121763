import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const bin = resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/** Runs the thanos-installer CLI as a user does (a process of its own, `node dist/cli/main.js`). */
export function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...extraEnv } }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
