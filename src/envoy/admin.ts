/**
 * A small client for Envoy's admin API (any Envoy, not only ours): `/clusters?format=json`,
 * `/stats?format=json`, `/server_info`, `/ready`. Keep-alive connections (one per client unless told);
 * every failure becomes an `EnvoyUnreachableError` that says which URL and why (refused, timeout, HTTP
 * status, malformed JSON).
 */
import { Pool, errors as undiciErrors } from 'undici';

export type EnvoyFailureReason = 'refused' | 'timeout' | 'http-status' | 'malformed' | 'network';

/** Envoy's admin API could not be read. `message` names the URL and the reason, for people. */
export class EnvoyUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: EnvoyFailureReason,
    readonly detail: string,
    readonly status?: number,
  ) {
    super(`Envoy admin unreachable at ${url} (${detail})`);
    this.name = 'EnvoyUnreachableError';
  }
}

export interface EnvoyAdminOptions {
  /** Per request: connect + headers + body. Default 2000 ms. */
  timeoutMs?: number;
  /** Keep-alive connections, i.e. requests served at the same time. Default 1. */
  connections?: number;
}

/** Parses and checks an admin base URL ("http://127.0.0.1:9901"); throws a TypeError naming the problem. */
export function parseAdminUrl(baseUrl: string): URL {
  let url: URL;
  try {
    // "127.0.0.1:9901" (no scheme) means http
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(baseUrl) ? baseUrl : `http://${baseUrl}`);
  } catch {
    throw new TypeError(`"${baseUrl}" is not a URL (expected e.g. http://127.0.0.1:9901)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`"${baseUrl}" is not an http(s) URL (expected e.g. http://127.0.0.1:9901)`);
  }
  return url;
}

export class EnvoyAdmin {
  readonly baseUrl: string;
  private readonly pool: Pool;
  private readonly timeoutMs: number;
  private readonly pathPrefix: string;

  constructor(baseUrl: string, opts: EnvoyAdminOptions = {}) {
    const url = parseAdminUrl(baseUrl);
    this.baseUrl = url.origin + url.pathname.replace(/\/+$/, '');
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.pool = new Pool(url.origin, {
      connections: opts.connections ?? 1,
      connect: { timeout: this.timeoutMs },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      keepAliveTimeout: 10_000,
    });
  }

  /** Raw `GET /clusters?format=json` document (parse it with routingFromClusters). */
  async clusters(): Promise<unknown> {
    return this.getJson('/clusters?format=json');
  }

  /**
   * Counters and gauges as name → value (`GET /stats?format=json`, histograms left out).
   * `filter` is Envoy's regex filter, e.g. "cluster\\.broker_.*\\.health_check".
   */
  async stats(filter?: string): Promise<Record<string, number>> {
    const path = '/stats?format=json' + (filter ? `&filter=${encodeURIComponent(filter)}` : '');
    const doc = await this.getJson(path);
    const list = (doc as { stats?: unknown })?.stats;
    if (!Array.isArray(list)) throw this.fail(path, 'malformed', 'no "stats" array in the response');
    const out: Record<string, number> = {};
    for (const s of list) {
      if (s && typeof s === 'object' && typeof (s as { name?: unknown }).name === 'string') {
        const v = Number((s as { value?: unknown }).value);
        if (Number.isFinite(v)) out[(s as { name: string }).name] = v;
      }
    }
    return out;
  }

  /** Raw `GET /server_info` document (version, state, `uptime_current_epoch` "12s", command line, node). */
  async serverInfo(): Promise<unknown> {
    return this.getJson('/server_info');
  }

  /** `GET /config_dump?resource=R[&mask=M]` (e.g. resource "static_clusters"). */
  async configDump(resource?: string, mask?: string): Promise<unknown> {
    const params = new URLSearchParams();
    if (resource) params.set('resource', resource);
    if (mask) params.set('mask', mask);
    const query = params.toString();
    return this.getJson('/config_dump' + (query ? `?${query}` : ''));
  }

  /** True when `GET /ready` answers 200 (Envoy is LIVE); false for any other answer or no answer. */
  async ready(): Promise<boolean> {
    try {
      await this.getText('/ready');
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the keep-alive connection. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  private fail(path: string, reason: EnvoyFailureReason, detail: string, status?: number): EnvoyUnreachableError {
    return new EnvoyUnreachableError(this.baseUrl + path.replace(/\?.*$/, ''), reason, detail, status);
  }

  private async getText(path: string): Promise<string> {
    let res;
    try {
      res = await this.pool.request({
        method: 'GET',
        path: this.pathPrefix + path,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.describe(path, err);
    }
    let body: string;
    try {
      body = await res.body.text();
    } catch (err) {
      throw this.describe(path, err);
    }
    if (res.statusCode !== 200) {
      const first = body.split('\n')[0]?.trim().slice(0, 120);
      throw this.fail(path, 'http-status', `HTTP ${res.statusCode}${first ? `: ${first}` : ''}`, res.statusCode);
    }
    return body;
  }

  private async getJson(path: string): Promise<unknown> {
    const body = await this.getText(path);
    try {
      return JSON.parse(body);
    } catch (err) {
      throw this.fail(path, 'malformed', `malformed JSON: ${(err as Error).message}`);
    }
  }

  private describe(path: string, err: unknown): EnvoyUnreachableError {
    const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
    const code = e?.code ?? e?.cause?.code;
    if (code === 'ECONNREFUSED') return this.fail(path, 'refused', 'connection refused');
    if (
      err instanceof undiciErrors.ConnectTimeoutError ||
      err instanceof undiciErrors.HeadersTimeoutError ||
      err instanceof undiciErrors.BodyTimeoutError ||
      e?.name === 'TimeoutError' ||
      e?.name === 'AbortError' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    ) {
      return this.fail(path, 'timeout', `no answer within ${this.timeoutMs} ms`);
    }
    const msg = e?.message || e?.cause?.message || String(err);
    return this.fail(path, 'network', code ? `${code}: ${msg}` : msg);
  }
}
