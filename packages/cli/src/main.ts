#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runXdsDemo } from './xds-demo';

const HELP = `trellis — a service mesh: mTLS, authorization and WAF beside every workload.

Usage: trellis <command> [options]

Commands:
  demo            Run the local demo on 127.0.0.1 and print what happens.
                    --port <n>   ADS server port (default 15010; 0 picks a free one)
                    --once       exit after the demo's steps instead of staying up
  help            Show this help.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { port: { type: 'string', default: '15010' }, once: { type: 'boolean', default: false } } });
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: "${values.port}" is not a port number`);
      await runXdsDemo({ port, once: values.once ?? false, log: (line) => console.log(line) });
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`trellis: ${error.message}`);
    if (error instanceof UsageError) console.error('Run "trellis help" for the commands.');
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
