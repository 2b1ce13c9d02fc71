/**
 * Checks a rendered Envoy configuration with the Envoy that will run it, before anything starts:
 * `envoy --mode validate` (parses the config, builds every listener and cluster, binds nothing, exits
 * within a fraction of a second), as a local process or in a throw-away container of the configured image.
 * A rejection comes back as one line naming the cause (src/util/log-excerpt.ts), the lines of Envoy's
 * output that say so, and the command that shows the full output; envoyRejectionHint() says what to change.
 *
 * `--mode validate` does not load listener files (`lds_config: path_config_source`, the coherent policy's
 * lds/listeners.yaml): checked with Envoy 1.40, a bootstrap whose listener file uses a filter the build
 * lacks passes, and the real Envoy then runs without listeners, only warning. envoyConfigToValidate() puts
 * the listener file's listeners into the bootstrap, so one validation covers both.
 */
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { DEFAULT_ENVOY_VERSION, type ClusterName, type Topology } from '../config/topology.js';
import { schemaPaths } from '../config/validate.js';
import { renderEnvoyConfig, renderListenerFile, type EnvoyRenderOptions, type RenderTarget } from '../render/envoy.js';
import { CAUSE_MAX_LENGTH, cutLine, logExcerpt, oneLineCause } from '../util/log-excerpt.js';

export type EnvoyValidation =
  | { ok: true }
  | {
      ok: false;
      /** One line, at most CAUSE_MAX_LENGTH characters: what Envoy (or Docker) said is wrong. */
      cause: string;
      /** The lines of the output that name the problem (logExcerpt). */
      excerpt: string[];
      /** The command that was run, quoted for a shell: run it to see the full output. */
      command: string;
    };

export interface ValidateOptions {
  /** Give up after this long (default 15 s; a validation takes well under a second locally). */
  timeoutMs?: number;
}

/** Where validateEnvoyConfigDocker() mounts the host folder (the folder the Docker runtime mounts too). */
export const CONTAINER_ENVOY_DIR = '/etc/envoy';
const DEFAULT_TIMEOUT_MS = 15_000;

/** A word for a POSIX shell: as is when safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Runs `cmd args` and reads its verdict: exit 0 is ok; otherwise the cause from its output. */
async function runValidation(cmd: string, args: string[], opts: ValidateOptions): Promise<EnvoyValidation> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const command = [cmd, ...args].map(shellWord).join(' ');
  const r = await execa(cmd, args, { reject: false, all: true, stdin: 'ignore', timeout: timeoutMs });
  if (r.exitCode === 0 && !r.timedOut) return { ok: true };
  const output = r.all ?? '';
  let cause: string | undefined;
  if (r.timedOut) cause = `\`${cmd} … --mode validate\` did not finish within ${timeoutMs / 1000} s`;
  else if (r.exitCode === undefined) cause = `cannot run ${cmd}: ${(r as { code?: string }).code ?? r.shortMessage}`;
  else cause = oneLineCause(output) ?? `exited with code ${r.exitCode}${output.trim() ? `: ${output.trim().split('\n').pop()}` : ''}`;
  return { ok: false, cause: cutLine(cause, CAUSE_MAX_LENGTH), excerpt: logExcerpt(output), command };
}

/** `envoy --mode validate -c FILE` with a local binary. */
export function validateEnvoyConfigLocal(envoyBin: string, configFile: string, opts: ValidateOptions = {}): Promise<EnvoyValidation> {
  return runValidation(envoyBin, ['--mode', 'validate', '-c', configFile, '--log-level', 'warn'], opts);
}

export interface DockerValidateOptions extends ValidateOptions {
  /** `docker run --pull`: `missing` (Docker's default, as `start` would pull it) or `never`. */
  pull?: 'missing' | 'never';
  /** The docker CLI (default `docker`). */
  docker?: string;
}

/**
 * `docker run` arguments for validating: no network, the host folder read-only at /etc/envoy, `envoy`
 * as the entrypoint (the envoyproxy/envoy images and the test stand-in image both have it on PATH;
 * their entrypoint scripts are bypassed), removed afterwards.
 */
export function dockerValidateArgs(image: string, envoyDir: string, configPathInContainer: string, pull: 'missing' | 'never' = 'missing'): string[] {
  return [
    'run', '--rm', '--pull', pull, '--network', 'none',
    '-v', `${envoyDir}:${CONTAINER_ENVOY_DIR}:ro`,
    '--entrypoint', 'envoy', image,
    '--mode', 'validate', '-c', configPathInContainer, '--log-level', 'warn',
  ];
}

/** `envoy --mode validate` in a throw-away container of `image`, `envoyDir` mounted at /etc/envoy. */
export function validateEnvoyConfigDocker(image: string, envoyDir: string, configPathInContainer: string, opts: DockerValidateOptions = {}): Promise<EnvoyValidation> {
  return runValidation(opts.docker ?? 'docker', dockerValidateArgs(image, envoyDir, configPathInContainer, opts.pull), opts);
}

/**
 * The bootstrap with the listeners of a listener file (an LDS discovery response) in place of its
 * dynamic_resources: what `--mode validate` can check in one go. Pure.
 */
export function withListenersInline(bootstrapYaml: string, listenerFileYaml: string): string {
  const cfg = parse(bootstrapYaml) as Record<string, unknown> & { static_resources?: Record<string, unknown> };
  const resources = (parse(listenerFileYaml) as { resources?: Record<string, unknown>[] }).resources ?? [];
  delete cfg.dynamic_resources;
  cfg.static_resources = { ...cfg.static_resources, listeners: resources.map(({ '@type': _type, ...listener }) => listener) };
  return stringify(cfg, { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * The Envoy config text to validate for `t` on `target`: the rendered envoy.yaml, and under the
 * coherent policy with the listener file of `active` (default primary) inline. Pure.
 */
export function envoyConfigToValidate(t: Topology, target: RenderTarget, opts: EnvoyRenderOptions & { active?: ClusterName } = {}): string {
  const bootstrap = renderEnvoyConfig(t, target, opts);
  if (t.failover.policy !== 'coherent') return bootstrap;
  return withListenersInline(bootstrap, renderListenerFile(t, target, opts.active ?? 'primary', opts));
}

/** Proto field path (snake_case, as Envoy names it) → the config-file key it is rendered from. */
const FIELD_KEYS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/\.health_checks\[\d+\]\.http_health_check\.path$/, () => 'healthCheck.path'],
  [/\.health_check_config\.port_value$/, () => 'healthCheck.port'],
  [/\.health_checks\[\d+\]\.(\w+)/, (m) => `healthCheck.${camel(m[1]!)}`],
  [/\.outlier_detection\.(\w+)/, (m) => `outlierDetection.${camel(m[1]!)}`],
  [/\.healthy_panic_threshold/, () => 'panicThresholdPercent'],
  [/\.close_connections_on_host_health_failure$/, () => 'envoy.closeConnectionsOnHealthFailure'],
  [/^admin\.address\.socket_address\.port_value$/, () => 'envoy.adminPort'],
  [/^static_resources\.listeners\[\d+\]\.address\.socket_address\.port_value$/, () => 'envoy.listenerPort'],
];
const camel = (snakeCase: string) => snakeCase.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The config-file key behind a proto field path named in `cause`, when it is one (`healthCheck.timeout`). */
export function configKeyForEnvoyField(cause: string): string | undefined {
  const path = /^((?:[a-z_\d]+(?:\[\d+\])?\.)*[a-z_\d]+(?:\[\d+\])?): /.exec(cause)?.[1];
  if (!path) return undefined;
  const known = new Set(schemaPaths().map((p) => p.path));
  for (const [re, key] of FIELD_KEYS) {
    const m = re.exec(path);
    if (m && known.has(key(m))) return key(m);
  }
  return undefined;
}

/** What to change when Envoy rejects the configuration with `cause` (from an EnvoyValidation). */
export function envoyRejectionHint(cause: string, t: Topology, command?: string): string {
  const contrib = `envoyproxy/envoy:${DEFAULT_ENVOY_VERSION}`;
  if (/kafka_broker/.test(cause) && /could not find @type|registered implementation/.test(cause)) {
    return `${t.envoy.image} has no kafka_broker filter (not a contrib build): use an Envoy contrib image (envoy.image: ${contrib}) or \`rewrite: advertised\``;
  }
  if (/No such image|Unable to find image|pull access denied|manifest unknown/i.test(cause)) {
    return `envoy.image ${t.envoy.image} is not available: pull or build it first, or set envoy.image (e.g. ${contrib}); \`failover-demo doctor\` checks images`;
  }
  if (/Cannot connect to the Docker daemon|docker: not found|cannot run docker/i.test(cause)) return 'start Docker, then try again; `failover-demo doctor` checks the Docker setup';
  if (/executable file not found|"envoy": not found/.test(cause)) return `envoy.image ${t.envoy.image} has no \`envoy\` on PATH: use an Envoy image (e.g. ${contrib})`;
  const key = configKeyForEnvoyField(cause);
  if (key) return `check ${key} in your --config file (\`failover-demo config --reference\` lists each key)`;
  if (/^[a-z_\d.[\]]+: /.test(cause)) return 'check the setting named above in your --config file';
  return `see the full output: ${command ?? 'envoy --mode validate -c <envoy.yaml>'}`;
}
