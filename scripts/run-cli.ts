/**
 * Runs a command's `main(argv)` when its file is executed directly: the exit code is main's, a
 * crash prints its stack and exits with `crashCode`, and a closed stdout (`… | head`) ends quietly.
 */
export function runCli(name: string, main: (argv: string[]) => Promise<number>, crashCode: number): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `${name} crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = crashCode;
    },
  );
}
