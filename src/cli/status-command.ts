/**
 * `metallb-ts status`: asks a running `metallb-ts run` (its `--status-addr`) for its status documents
 * and prints them as a switch would (`src/observe/status-format.ts`), or as JSON with `--json`.
 * Wiring only: HTTP GET, then format.
 */
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import type { PeerDetail, PeerRoutes, PeerSummary, ServiceView } from '../observe/status.js';
import { formatPeerDetail, formatPeers, formatRoutes, formatServices } from '../observe/status-format.js';
import { EXIT_USAGE, UsageError, hostPortFlag, commandFlags } from './flags.js';

export const STATUS_USAGE = `usage: metallb-ts status [peers | peer ADDRESS | routes | services] [--status-addr ADDR:PORT] [--json]

Shows the state of a running \`metallb-ts run\` on this host:

  peers              (default) one row per BGP peer, like \`show ip bgp summary\`
  peer ADDRESS       one peer in full, like \`show ip bgp neighbors ADDRESS\`
  routes             the prefixes announced to each peer, with their attributes
  services           each service: IP, pool, the peers it is announced to, or why it is withheld

  --status-addr ADDR:PORT   where \`run\` serves its status (default 127.0.0.1:7473)
  --json                    print the document as JSON
`;

/** Exit code when the running speaker cannot be reached or answers with an error. */
export const EXIT_UNAVAILABLE = 1;

type View = { kind: 'peers' } | { kind: 'peer'; address: string } | { kind: 'routes' } | { kind: 'services' };

/** Parsed `status` arguments. */
export interface StatusArgs {
  readonly view: View;
  readonly host: string;
  readonly port: number;
  readonly json: boolean;
}

/** Parses `status`'s arguments; throws a UsageError. */
export function parseStatusArgs(argv: readonly string[]): StatusArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { 'status-addr': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(/'(-{1,2}[A-Za-z0-9-]+)/.exec(message)?.[1], message);
  }
  if (parsed.values.help) return 'help';
  const [what = 'peers', ...rest] = parsed.positionals;
  let view: View;
  switch (what) {
    case 'peers':
    case 'summary':
    case 'routes':
    case 'services':
      if (rest.length > 0) throw new UsageError(undefined, `status ${what} takes no argument (got '${rest.join(' ')}')`);
      view = what === 'summary' ? { kind: 'peers' } : { kind: what };
      break;
    case 'peer':
    case 'neighbor': {
      const [address, ...more] = rest;
      if (address === undefined || address === '' || more.length > 0) throw new UsageError(undefined, 'status peer needs exactly one ADDRESS');
      view = { kind: 'peer', address };
      break;
    }
    default:
      throw new UsageError(undefined, `unknown status view '${what}' (peers, peer ADDRESS, routes, services)`);
  }
  const addr = hostPortFlag(parsed.values['status-addr'] ?? '127.0.0.1:7473', '--status-addr');
  // `:7473` means every address for a server; a client dials loopback.
  const host = addr.host === '::' || addr.host === '0.0.0.0' ? '127.0.0.1' : addr.host;
  return { view, host, port: addr.port, json: parsed.values.json === true };
}

/** The HTTP path of a view. */
export function statusPath(view: View): string {
  switch (view.kind) {
    case 'peers':
      return '/status/peers';
    case 'peer':
      return `/status/peers/${encodeURIComponent(view.address)}`;
    case 'routes':
      return '/status/routes';
    case 'services':
      return '/status/services';
  }
}

/** GETs `path` from `host:port`; resolves to status and body, rejects on a connection error. */
export function getJson(host: string, port: number, path: string, timeoutMs = 5000): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
        } catch {
          reject(new Error(`answer from ${host}:${port}${path} is not JSON (HTTP ${res.statusCode ?? 0})`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Formats a view's document as text. */
export function formatView(view: View, body: unknown): string {
  switch (view.kind) {
    case 'peers': {
      const b = body as { node: string; peers: PeerSummary[]; warnings?: string[] };
      return formatPeers(b.node, b.peers, b.warnings ?? []);
    }
    case 'peer':
      return formatPeerDetail(body as PeerDetail);
    case 'routes':
      return formatRoutes((body as { peers: PeerRoutes[] }).peers);
    case 'services':
      return formatServices((body as { services: ServiceView[] }).services);
  }
}

/** Runs `metallb-ts status`; resolves to the exit code. */
export async function statusCommand(argv: readonly string[]): Promise<number> {
  const parsed = commandFlags('status', STATUS_USAGE, () => parseStatusArgs(argv));
  if ('exit' in parsed) return parsed.exit;
  const args = parsed.flags;
  const where = `${args.host.includes(':') ? `[${args.host}]` : args.host}:${args.port}`;
  let answer: { status: number; body: unknown };
  try {
    answer = await getJson(args.host, args.port, statusPath(args.view));
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === 'ECONNREFUSED'
        ? `nothing is listening on ${where}; is \`metallb-ts run\` running with --status-addr ${where}?`
        : `cannot reach ${where}: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`metallb-ts status: ${why}\n`);
    return EXIT_UNAVAILABLE;
  }
  if (answer.status !== 200) {
    const error = (answer.body as { error?: unknown }).error;
    process.stderr.write(`metallb-ts status: ${typeof error === 'string' ? error : `HTTP ${answer.status}`}\n`);
    return EXIT_UNAVAILABLE;
  }
  process.stdout.write(args.json ? `${JSON.stringify(answer.body, null, 2)}\n` : formatView(args.view, answer.body));
  return 0;
}

export { EXIT_USAGE };
