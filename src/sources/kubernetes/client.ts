/**
 * The API server over HTTP: plain JSON requests and watch streams, authenticated by
 * `@kubernetes/client-node`'s `KubeConfig` (kubeconfig files, in-cluster service account, client
 * certificates, tokens and exec plugins, TLS settings, proxies).
 *
 * Why not client-node's typed API clients: they deserialize objects into classes (timestamps become
 * `Date`s, `continue` becomes `_continue`), and objects must reach `src/model/validate.ts` as the API
 * server sent them. Why not its `Watch`: its request has no read timeout (a silently dead
 * connection would stall the watch forever) and it reads the stream through node-fetch. So requests
 * go through node:http(s) with the options `KubeConfig.applyToHTTPSOptions` prepares, on agents of
 * our own that keep connections alive.
 *
 * `KubeApi` is the narrow interface the source and the status writers use, so tests can fake it.
 */
import { readFileSync, existsSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

/** A response of the API server: its status code and its body, parsed (undefined when not JSON). */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/** One line of a watch stream: `{type, object}`. */
export interface WatchEvent {
  readonly type: string;
  readonly object: Readonly<Record<string, unknown>>;
}

/** Options of one request. */
export interface RequestOptions {
  /** Query parameters; undefined values are left out. */
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** A JSON body. */
  readonly body?: unknown;
  /** Content type of the body (default `application/json`; patches name theirs). */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** What the source and the writers need of the API server. */
export interface KubeApi {
  /** One request; resolves with any HTTP status, rejects when the server cannot be reached. */
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /**
   * A watch: calls `onOpen` once the server accepted it and `onEvent` for every event line; resolves
   * when the server ends the stream (or `signal` aborts it), rejects with a `KubeApiError` for a
   * status other than 200, with the connection's error, or with what `onEvent` threw.
   */
  watch(path: string, options: WatchOptions): Promise<void>;
}

/** Options of one watch. */
export interface WatchOptions {
  readonly query?: RequestOptions['query'];
  readonly onEvent: (event: WatchEvent) => void;
  readonly onOpen?: () => void;
  readonly signal: AbortSignal;
  /** No byte for this long ends the stream with an error (a connection that died silently). */
  readonly idleTimeoutMs: number;
}

/** An API server answer that is an error (`status` is the HTTP code; `reason` the Status's reason). */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;

  constructor(status: number, message: string, reason?: string) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }

  /** The error of a non-2xx response (the message of its `Status` body when it has one). */
  static of(response: ApiResponse, what: string): KubeApiError {
    const body = response.body as { message?: unknown; reason?: unknown } | undefined;
    const message = typeof body?.message === 'string' ? body.message : `HTTP ${response.status}`;
    return new KubeApiError(response.status, `${what}: ${message}`, typeof body?.reason === 'string' ? body.reason : undefined);
  }
}

/** The service account folder of an in-cluster pod. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The client configuration: `kubeconfig` when given; else the in-cluster service account
 * (KUBERNETES_SERVICE_HOST/PORT and the mounted token); else `KUBECONFIG` (or `~/.kube/config`).
 */
export function loadKubeConfig(kubeconfig?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfig !== undefined) {
    // Read here so a missing file is a clear error naming it.
    kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
  } else if (process.env['KUBERNETES_SERVICE_HOST'] && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
  }
  if (!kc.getCurrentCluster()) throw new Error(kubeconfig !== undefined ? `${kubeconfig}: no current cluster` : 'no Kubernetes configuration found (in-cluster, KUBECONFIG or ~/.kube/config)');
  return kc;
}

/** How long prepared credentials are reused before `KubeConfig` is asked again (tokens rotate). */
const CREDENTIALS_TTL_MS = 60_000;

interface Prepared {
  readonly at: number;
  readonly headers: Record<string, string>;
  /** Set only when the configuration names a proxy (its agent is used as given). */
  readonly proxyAgent: http.Agent | undefined;
  readonly tls: https.AgentOptions;
}

/** `KubeApi` over node:http(s), configured by a `KubeConfig`. */
export class KubeClient implements KubeApi {
  readonly #kc: KubeConfig;
  readonly #server: URL;
  readonly #secure: boolean;
  #prepared: Prepared | undefined;
  /** Requests: kept alive and pooled. */
  #requestAgent: http.Agent | undefined;
  /** Watches: one connection each, held open. */
  #watchAgent: http.Agent | undefined;

  constructor(kc: KubeConfig) {
    this.#kc = kc;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the Kubernetes configuration has no current cluster');
    this.#server = new URL(cluster.server);
    this.#secure = this.#server.protocol === 'https:';
    if (!this.#secure && !cluster.skipTLSVerify) throw new Error(`${cluster.server}: plain http needs insecure-skip-tls-verify in the kubeconfig (as client-node requires)`);
  }

  /** The server's URL, for logs. */
  get server(): string {
    return this.#server.origin;
  }

  async #prepare(): Promise<Prepared> {
    const now = Date.now();
    if (this.#prepared && now - this.#prepared.at < CREDENTIALS_TTL_MS) return this.#prepared;
    const opts: https.RequestOptions = { headers: {} };
    await this.#kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string' || typeof v === 'number') headers[k] = String(v);
    if (opts.auth) headers['Authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const tls: https.AgentOptions = {
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      ...(opts.cert !== undefined ? { cert: opts.cert } : {}),
      ...(opts.key !== undefined ? { key: opts.key } : {}),
      ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
      ...(opts.servername !== undefined ? { servername: opts.servername } : {}),
    };
    const proxyAgent = this.#kc.getCurrentCluster()?.proxyUrl ? (opts.agent as http.Agent | undefined) : undefined;
    const tlsChanged = this.#prepared === undefined || JSON.stringify(this.#prepared.tls) !== JSON.stringify(tls);
    if (tlsChanged) {
      this.#requestAgent?.destroy();
      this.#watchAgent?.destroy();
      this.#requestAgent = this.#agent(tls, true);
      this.#watchAgent = this.#agent(tls, false);
    }
    this.#prepared = { at: now, headers, proxyAgent, tls };
    return this.#prepared;
  }

  #agent(tls: https.AgentOptions, keepAlive: boolean): http.Agent {
    const common = { keepAlive, ...(keepAlive ? { maxSockets: 8 } : {}) };
    return this.#secure ? new https.Agent({ ...tls, ...common }) : new http.Agent(common);
  }

  #url(path: string, query: RequestOptions['query']): URL {
    const url = new URL(path, this.#server);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  async #open(method: string, url: URL, agent: 'request' | 'watch', headers: Record<string, string>, signal: AbortSignal | undefined): Promise<http.ClientRequest> {
    const p = await this.#prepare();
    const chosen = p.proxyAgent ?? (agent === 'request' ? this.#requestAgent : this.#watchAgent);
    const options: https.RequestOptions = {
      method,
      headers: { Accept: 'application/json', ...p.headers, ...headers },
      ...(chosen ? { agent: chosen } : {}),
      ...(signal ? { signal } : {}),
    };
    return (this.#secure ? https : http).request(url, options);
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string> = payload ? { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': String(payload.length) } : {};
    const req = await this.#open(method, this.#url(path, options.query), 'request', headers, options.signal);
    return new Promise<ApiResponse>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.end(payload);
    });
  }

  async watch(path: string, options: WatchOptions): Promise<void> {
    const { query, onEvent, onOpen, signal, idleTimeoutMs } = options;
    const url = this.#url(path, { ...query, watch: true });
    const req = await this.#open('GET', url, 'watch', {}, undefined);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        if (idle) clearTimeout(idle);
        signal.removeEventListener('abort', onAbort);
        req.destroy();
        if (err) reject(err);
        else resolve();
      };
      const touch = (): void => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => finish(new Error(`watch ${path}: nothing received for ${Math.round(idleTimeoutMs / 1000)} s`)), idleTimeoutMs);
      };
      const onAbort = (): void => finish();
      if (signal.aborted) return finish();
      signal.addEventListener('abort', onAbort);
      touch();
      req.on('error', (err) => finish(err));
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let body: unknown;
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              body = undefined;
            }
            finish(KubeApiError.of({ status: res.statusCode ?? 0, body }, `watch ${path}`));
          });
          res.on('error', (err) => finish(err));
          return;
        }
        onOpen?.();
        res.setEncoding('utf8');
        let buffered = '';
        res.on('data', (chunk: string) => {
          touch();
          buffered += chunk;
          let nl: number;
          while (!settled && (nl = buffered.indexOf('\n')) !== -1) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            if (line.trim() === '') continue;
            let event: unknown;
            try {
              event = JSON.parse(line);
            } catch {
              finish(new Error(`watch ${path}: a line that is not JSON`));
              return;
            }
            const e = event as { type?: unknown; object?: unknown };
            if (typeof e.type !== 'string' || typeof e.object !== 'object' || e.object === null) continue;
            try {
              onEvent({ type: e.type, object: e.object as Record<string, unknown> });
            } catch (err) {
              finish(err instanceof Error ? err : new Error(String(err)));
              return;
            }
          }
        });
        res.on('end', () => finish());
        res.on('close', () => finish());
        res.on('error', (err) => finish(err));
      });
      req.end();
    });
  }

  /** Closes the pooled connections. */
  close(): void {
    this.#requestAgent?.destroy();
    this.#watchAgent?.destroy();
  }
}
