#!/usr/bin/env node
import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { OUTBOUND_TRAFFIC_POLICIES } from '@trellis/control-plane';
import { runAgent } from './commands/agent';
import { authzCheck, formatAuthzAnswers } from './commands/authz-check';
import { CAPTURE_INIT_HELP, runCaptureInit } from './commands/capture-init';
import { proxyCertificates } from './commands/cert';
import { runControlPlane } from './commands/control-plane';
import { runMeshDemo } from './commands/demo';
import { runProxy } from './commands/proxy';
import { fetchText, postText, proxyStatusText } from './commands/proxy-status';
import { runXdsDemo } from './commands/proxyless-demo';
import { validateDirectory } from './commands/validate';

const HELP = `trellis — a service mesh: mTLS, authorization and WAF beside every workload.

Usage: trellis <command> [options]

Commands:
  demo             Run a local mesh on 127.0.0.1: control plane, sample apps, a proxy per app;
                   send sample traffic and print what happened.
                     --state-dir <dir>  where config, CA, tokens and logs go (default .trellis/demo)
                     --base-port <n>    control plane ports n, n+2, n+4 (default 15010; 0 = any free)
                     --once             exit after the sample traffic instead of staying up
  control-plane    Run the control plane (xDS + CA) for a config directory.
                     --config-dir <dir>, or --source kubernetes [--kubeconfig <file>] (watch a cluster;
                     CA in a Secret, proxies known by ServiceAccount tokens) [--webhook <host:port>] (injector)
                     --state-dir <dir> (default .trellis/control-plane)
                     --xds <host:port> (127.0.0.1:15010)  --ca <host:port> (127.0.0.1:15012)
                     --admin <host:port> (127.0.0.1:15014)  --trust-domain <td> (cluster.local)
                     --default-mtls STRICT|PERMISSIVE (STRICT)
                     --outbound-traffic-policy ALLOW_ANY|REGISTRY_ONLY (ALLOW_ANY): captured calls
                     outside the registry pass through to where they were going, or are refused
  proxy            Run the proxy for one workload.
                     --node <workload>.<namespace> (required)  --service-account <sa> (required)
                     --bootstrap <file> (the control plane's <state-dir>/bootstrap.json)
                     --admin-port <n>  --no-access-log  --token-file <file> (default from the bootstrap)
  agent            Run the pod-side agent of a proxyless gRPC workload: its certificate as files,
                   a gRPC xDS bootstrap, and an ADS relay to the control plane over mTLS.
                     --node <workload>.<namespace> (required)  --service-account <sa> (required)
                     --bootstrap <file> (the control plane's bootstrap.json)  --dir <dir> (.trellis/agent)
                     --relay-port <n> (default any free port on 127.0.0.1)
  proxy-status     Show each connected proxy's sync state per xDS type.
                     --admin <host:port> (127.0.0.1:15014)
  authz check      Would a request be allowed? Offline, from the config files, per workload.
                     --config-dir <dir> (required)  --from <spiffe-id|principal|workload.ns|anonymous>
                     --to <service>[.<namespace>]  --method GET  --path /  --port <n>  --header k=v …
                     --trust-domain cluster.local  --root-namespace trellis-system
  ca rotate-root   One step of a root CA rotation: --step begin|switch|retire (wait one
                   certificate lifetime between steps).  --admin <host:port> (127.0.0.1:15014)
  config-dump      Print the config a proxy runs on (JSON, private keys redacted).
                     --admin <host:port> (the proxy's admin address, required)
  cert             Show a proxy's certificates: chain, SPIFFE ID, expiry; its trust bundle.
                     --admin <host:port> (the proxy's admin address, required)
  validate <dir>   Check a config directory offline; exit 1 on errors.
${CAPTURE_INIT_HELP}  proxyless-demo   Our xDS server steering a proxyless @grpc/grpc-js-xds client.
                     --port <n> (ADS port, default 15010; 0 = any free)  --once
  install          Print the Kubernetes install manifest (CRDs, RBAC, control plane, webhook).
                     --namespace trellis-system  --hub <registry>  --tag <tag>  --replicas 2
  uninstall        Print what to delete to uninstall; --purge-crds also removes our CRDs.
  help             Show this help.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { 'state-dir': { type: 'string', default: '.trellis/demo' }, 'base-port': { type: 'string', default: '15010' }, once: { type: 'boolean', default: false } } });
      await runMeshDemo({ stateDir: path.resolve(values['state-dir']!), basePort: portOption('--base-port', values['base-port']!), once: values.once ?? false, out: (line) => console.log(line) });
      return 0;
    }
    case 'control-plane': {
      const { values } = parseArgs({
        args: rest,
        options: {
          'config-dir': { type: 'string' }, 'state-dir': { type: 'string', default: '.trellis/control-plane' },
          source: { type: 'string', default: 'files' }, kubeconfig: { type: 'string' }, webhook: { type: 'string' },
          xds: { type: 'string', default: '127.0.0.1:15010' }, ca: { type: 'string', default: '127.0.0.1:15012' }, admin: { type: 'string', default: '127.0.0.1:15014' },
          'trust-domain': { type: 'string', default: 'cluster.local' }, 'default-mtls': { type: 'string', default: 'STRICT' },
          'outbound-traffic-policy': { type: 'string', default: 'ALLOW_ANY' },
        },
      });
      if (values.source !== 'files' && values.source !== 'kubernetes') throw new UsageError(`--source: "${values.source}" is not files or kubernetes`);
      if (values.source === 'files' && !values['config-dir']) throw new UsageError('control-plane: --config-dir is required (or --source kubernetes)');
      const mtls = values['default-mtls'];
      if (mtls !== 'STRICT' && mtls !== 'PERMISSIVE') throw new UsageError(`--default-mtls: "${mtls}" is not STRICT or PERMISSIVE`);
      const outbound = OUTBOUND_TRAFFIC_POLICIES.find((p) => p === values['outbound-traffic-policy']);
      if (!outbound) throw new UsageError(`--outbound-traffic-policy: "${values['outbound-traffic-policy']}" is not ${OUTBOUND_TRAFFIC_POLICIES.join(' or ')}`);
      await runControlPlane({
        ...(values.source === 'kubernetes'
          ? { kubernetes: { ...(values.kubeconfig ? { kubeconfig: path.resolve(values.kubeconfig) } : {}), ...(values.webhook ? { webhook: values.webhook } : {}) } }
          : { configDir: path.resolve(values['config-dir']!) }),
        stateDir: path.resolve(values['state-dir']!), xds: values.xds!, ca: values.ca!, admin: values.admin!,
        trustDomain: values['trust-domain']!, defaultMtls: mtls, outboundTrafficPolicy: outbound,
      });
      return 0;
    }
    case 'proxy': {
      const { values } = parseArgs({
        args: rest,
        options: {
          ...WORKLOAD_OPTIONS, 'admin-port': { type: 'string' }, 'no-access-log': { type: 'boolean', default: false }, 'token-file': { type: 'string' },
        },
      });
      await runProxy({
        ...workload('proxy', values),
        ...(values['token-file'] ? { tokenFile: path.resolve(values['token-file']) } : {}),
        ...(values['admin-port'] === undefined ? {} : { adminPort: portOption('--admin-port', values['admin-port']) }),
        accessLog: !values['no-access-log'],
      });
      return 0;
    }
    case 'agent': {
      const { values } = parseArgs({
        args: rest,
        options: {
          ...WORKLOAD_OPTIONS, dir: { type: 'string', default: '.trellis/agent' }, 'relay-port': { type: 'string' },
        },
      });
      await runAgent({
        ...workload('agent', values), dir: path.resolve(values.dir!),
        ...(values['relay-port'] === undefined ? {} : { relayPort: portOption('--relay-port', values['relay-port']) }),
      });
      return 0;
    }
    case 'proxy-status': {
      const { values } = parseArgs({ args: rest, options: { admin: { type: 'string', default: '127.0.0.1:15014' } } });
      process.stdout.write(await proxyStatusText(values.admin!));
      return 0;
    }
    case 'authz': {
      const [sub, ...args] = rest;
      if (sub !== 'check') throw new UsageError('authz: the only subcommand is "check"');
      const { values } = parseArgs({
        args,
        options: {
          'config-dir': { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, method: { type: 'string', default: 'GET' },
          path: { type: 'string', default: '/' }, port: { type: 'string' }, header: { type: 'string', multiple: true, default: [] },
          'trust-domain': { type: 'string', default: 'cluster.local' }, 'root-namespace': { type: 'string', default: 'trellis-system' },
        },
      });
      for (const required of ['config-dir', 'from', 'to'] as const) if (!values[required]) throw new UsageError(`authz check: --${required} is required`);
      const headers = Object.fromEntries(values.header!.map((h) => {
        const eq = h.indexOf('=');
        if (eq <= 0) throw new UsageError(`--header "${h}": expected name=value`);
        return [h.slice(0, eq).toLowerCase(), h.slice(eq + 1)];
      }));
      const answers = authzCheck({
        configDir: path.resolve(values['config-dir']!), from: values.from!, to: values.to!, method: values.method!, path: values.path!,
        ...(values.port === undefined ? {} : { port: portOption('--port', values.port) }), headers,
        trustDomain: values['trust-domain']!, rootNamespace: values['root-namespace']!,
      });
      console.log(formatAuthzAnswers(answers));
      return answers.every((a) => a.decision.decision === 'ALLOW') ? 0 : 3;
    }
    case 'ca': {
      const [sub, ...args] = rest;
      if (sub !== 'rotate-root') throw new UsageError('ca: the only subcommand is "rotate-root"');
      const { values } = parseArgs({ args, options: { step: { type: 'string' }, admin: { type: 'string', default: '127.0.0.1:15014' } } });
      if (!['begin', 'switch', 'retire'].includes(values.step ?? '')) throw new UsageError('ca rotate-root: --step must be begin, switch or retire');
      console.log(await postText(`http://${values.admin}/ca/root-rotation?step=${values.step}`));
      return 0;
    }
    case 'install':
    case 'uninstall': {
      const { values } = parseArgs({
        args: rest,
        options: { namespace: { type: 'string' }, hub: { type: 'string' }, tag: { type: 'string' }, replicas: { type: 'string' }, 'purge-crds': { type: 'boolean', default: false } },
      });
      const replicas = values.replicas === undefined ? undefined : Number(values.replicas);
      if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1)) throw new UsageError(`--replicas: "${values.replicas}" is not a positive integer`);
      const options = {
        ...(values.namespace ? { namespace: values.namespace } : {}), ...(values.hub ? { hub: values.hub } : {}),
        ...(values.tag ? { tag: values.tag } : {}), ...(replicas ? { replicas } : {}),
      };
      // Loaded only here: the Kubernetes client library is large and only these commands need it.
      const kube = await import('@trellis/kube');
      process.stdout.write(command === 'install' ? kube.renderInstall(options) : kube.renderUninstall({ ...options, purgeCrds: values['purge-crds'] ?? false }));
      return 0;
    }
    case 'config-dump': {
      const { values } = parseArgs({ args: rest, options: { admin: { type: 'string' } } });
      if (!values.admin) throw new UsageError('config-dump: --admin <host:port> of the proxy is required');
      process.stdout.write(await fetchText(`http://${values.admin}/config_dump`));
      return 0;
    }
    case 'cert': {
      const { values } = parseArgs({ args: rest, options: { admin: { type: 'string' } } });
      if (!values.admin) throw new UsageError('cert: --admin <host:port> of the proxy is required');
      console.log(await proxyCertificates(values.admin));
      return 0;
    }
    case 'validate': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      if (positionals.length !== 1) throw new UsageError('validate: give one config directory');
      const { report, ok } = validateDirectory(path.resolve(positionals[0]!));
      console.log(report);
      return ok ? 0 : 1;
    }
    case 'capture-init':
      process.stdout.write(runCaptureInit(rest));
      return 0;
    case 'proxyless-demo': {
      const { values } = parseArgs({ args: rest, options: { port: { type: 'string', default: '15010' }, once: { type: 'boolean', default: false } } });
      await runXdsDemo({ port: portOption('--port', values.port!), once: values.once ?? false, log: (line) => console.log(line) });
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

/** The options naming a workload, shared by the per-pod commands (`proxy`, `agent`). */
const WORKLOAD_OPTIONS = {
  node: { type: 'string' }, 'service-account': { type: 'string' }, bootstrap: { type: 'string', default: '.trellis/control-plane/bootstrap.json' },
} as const;

function workload(command: string, values: { node?: string; 'service-account'?: string; bootstrap?: string }) {
  if (!values.node) throw new UsageError(`${command}: --node <workload>.<namespace> is required`);
  if (!values['service-account']) throw new UsageError(`${command}: --service-account is required`);
  return { node: values.node, serviceAccount: values['service-account'], bootstrap: path.resolve(values.bootstrap!) };
}

function portOption(flag: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag}: "${value}" is not a port number`);
  return port;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error & { code?: string }) => {
    // parseArgs reports unknown or malformed options as ERR_PARSE_ARGS_*: those are usage errors too.
    const usage = error instanceof UsageError || error.code?.startsWith('ERR_PARSE_ARGS') === true;
    console.error(`trellis: ${error.message}`);
    if (usage) console.error('Run "trellis help" for the commands.');
    process.exit(usage ? 2 : 1);
  },
);
