/**
 * Prerequisites of Redpanda Shadowing (`replication.mode: shadow` on the Docker runtime), as pure checks:
 * the Redpanda version (25.3 or newer) and an enterprise licence or trial, on both clusters. Each problem
 * names what is wrong and the fix. Pure: no I/O; the runtime runs the argv below and passes the output in.
 *
 * Sources (github.com/redpanda-data/docs, main as of 2026-08):
 * - "Both clusters must be running Redpanda v25.3 or later", "Enterprise Edition licenses on both
 *   clusters": modules/manage/pages/disaster-recovery/shadowing/setup.adoc (Prerequisites).
 * - Version text: `redpanda --version` prints `<version> - <commit>` (modules/deploy/pages/redpanda/manual/
 *   production/production-readiness.adoc, e.g. `v24.1.6 - 5e880f6f…`); `rpk version` prints `Version: vX.Y.Z`
 *   then `Redpanda Cluster` / `  node-N  vX.Y.Z - <commit>` (rpk src/go/rpk/pkg/cli/version/version.go).
 * - Licence JSON of `rpk cluster license info --format json` (modules/reference/pages/rpk/rpk-cluster/
 *   rpk-cluster-license-info.adoc names the fields in prose; the JSON keys are rpk's struct tags,
 *   src/go/rpk/pkg/cli/cluster/license/info.go): `license_status` (valid | expired | not_present),
 *   `license_violation`, `organization`, `type` (enterprise | trial | free_trial, per
 *   modules/get-started/partials/licensing/license-status.adoc), `expires`, `expires_unix`, `license_expired`,
 *   `enterprise_features_in_use`. rpk before 24.2.8 printed `{}` for no licence and had no `license_status`.
 * - Admin API `GET /v1/features/license` (sample in modules/troubleshoot/partials/debug-bundle/
 *   inspect.adoc): `{"loaded": bool, "license": {"format_version", "org", "type", "expires", "sha256"}}`,
 *   `expires` in Unix seconds (rpk: time.Unix(Expires, 0)).
 * - Trial: modules/get-started/pages/licensing/overview.adoc ("Trial license": new clusters get a built-in
 *   30-day trial since 24.3; `rpk generate license --apply` extends it once per email and domain).
 */
import { DEFAULT_REDPANDA_VERSION, type ClusterName } from '../../config/topology.js';

/** Shadowing arrived in Redpanda 25.3. */
export const SHADOWING_MIN_VERSION = { major: 25, minor: 3 } as const;

/** What to run in a broker container of each cluster; argv[0] is the program. */
export const REDPANDA_VERSION_ARGV = ['rpk', 'version'] as const;
export const LICENCE_INFO_ARGV = ['rpk', 'cluster', 'license', 'info', '--format', 'json'] as const;

export type ShadowProblemCode = 'version-too-old' | 'version-unknown' | 'licence-missing' | 'licence-expired' | 'licence-unreadable';

export interface ShadowProblem {
  code: ShadowProblemCode;
  cluster: ClusterName;
  /** The problem and its fix, for a person. */
  message: string;
}

export interface RedpandaVersion {
  major: number;
  minor: number;
  patch: number;
  /** As printed, e.g. "v25.3.1" or "v25.3.1-rc2". */
  text: string;
}

/**
 * Every distinct Redpanda version in a version text. A version starts the text or follows a non-word
 * character, so `rpk version`'s `Go version: go1.24.4` is not one.
 */
export function parseRedpandaVersions(text: string): RedpandaVersion[] {
  const found = new Map<string, RedpandaVersion>();
  for (const m of text.matchAll(/(?:^|[^\w.])(v?(\d+)\.(\d+)\.(\d+)(?:-[\w.]+)?)/g)) {
    const printed = m[1]!;
    if (!found.has(printed)) found.set(printed, { major: Number(m[2]), minor: Number(m[3]), patch: Number(m[4]), text: printed });
  }
  return [...found.values()];
}

const hasShadowing = (v: RedpandaVersion) =>
  v.major > SHADOWING_MIN_VERSION.major || (v.major === SHADOWING_MIN_VERSION.major && v.minor >= SHADOWING_MIN_VERSION.minor);

const VERSION_FIX = `set REDPANDA_VERSION to v25.3.1 or newer (the default is ${DEFAULT_REDPANDA_VERSION}), or redpanda.image in the config file, then start the demo again; or use replication.mode: none`;

/** Problems with the Redpanda version(s) a cluster's `rpk version` or `redpanda --version` printed. */
export function versionProblems(versionText: string, cluster: ClusterName): ShadowProblem[] {
  const versions = parseRedpandaVersions(versionText).filter((v) => !(v.major === 0 && v.minor === 0 && v.patch === 0));
  if (versions.length === 0) {
    const shown = versionText.trim().split('\n')[0]?.slice(0, 80) ?? '';
    return [
      {
        code: 'version-unknown',
        cluster,
        message: `cannot tell the ${cluster} cluster's Redpanda version from "${shown}", and Shadowing needs 25.3 or newer: check that \`rpk version\` in a ${cluster} broker prints a release version such as "v25.3.1 - <commit>" (development builds print v0.0.0), or ${VERSION_FIX}`,
      },
    ];
  }
  return versions
    .filter((v) => !hasShadowing(v))
    .map((v) => ({
      code: 'version-too-old' as const,
      cluster,
      message: `Redpanda ${v.text.replace(/^v/, '')} on the ${cluster} cluster has no Shadowing (it needs 25.3 or newer): ${VERSION_FIX}`,
    }));
}

/** The licence as one of the two documented JSON shapes says it is. */
export interface LicenceView {
  state: 'valid' | 'missing' | 'expired' | 'unreadable';
  type?: string;
  expires?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const dateOf = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString().slice(0, 10);

/** Admin API GET /v1/features/license. */
function adminApiView(j: Record<string, unknown>, now: Date): LicenceView {
  if (j.loaded !== true) return { state: 'missing' };
  const lic = isRecord(j.license) ? j.license : {};
  const type = typeof lic.type === 'string' && lic.type ? lic.type : undefined;
  const expires = typeof lic.expires === 'number' ? lic.expires : undefined;
  const base = { ...(type ? { type } : {}), ...(expires === undefined ? {} : { expires: dateOf(expires) }) };
  return { state: expires !== undefined && expires * 1000 <= now.getTime() ? 'expired' : 'valid', ...base };
}

/** `rpk cluster license info --format json` (and older rpk's shorter form). */
function rpkView(j: Record<string, unknown>, now: Date): LicenceView {
  const type = typeof j.type === 'string' && j.type ? j.type : undefined;
  const unix = typeof j.expires_unix === 'number' ? j.expires_unix : undefined;
  const expires = unix !== undefined ? dateOf(unix) : typeof j.expires === 'string' && j.expires ? j.expires : undefined;
  const base = { ...(type ? { type } : {}), ...(expires ? { expires } : {}) };
  const status = j.license_status;
  if (status === 'not_present') return { state: 'missing' };
  if (status === 'expired' || j.license_expired === true || (unix !== undefined && unix * 1000 <= now.getTime())) return { state: 'expired', ...base };
  if (status === 'valid') return { state: 'valid', ...base };
  if (status === undefined && Object.keys(j).length === 0) return { state: 'missing' }; // rpk < 24.2.8
  if (status === undefined && (type || j.organization)) return { state: 'valid', ...base };
  return { state: 'unreadable' };
}

/** Reads either documented licence JSON (text or already parsed), or old rpk's "missing a license" text. */
export function readLicence(licence: unknown, now: Date): LicenceView {
  let value = licence;
  if (typeof licence === 'string') {
    const text = licence.trim();
    if (/missing a license|no license loaded/i.test(text)) return { state: 'missing' };
    try {
      value = JSON.parse(text);
    } catch {
      return { state: 'unreadable' };
    }
  }
  if (!isRecord(value)) return { state: 'unreadable' };
  return 'loaded' in value ? adminApiView(value, now) : rpkView(value, now);
}

const LICENCE_FIX =
  'apply a licence with `rpk cluster license set --path <licence file>` (or `rpk cluster license set <licence string>`), or a 30-day trial with `rpk generate license --apply` (one per email and business domain) or from https://redpanda.com/try-enterprise; or use replication.mode: none';

/** Problems with a cluster's licence, given what `rpk cluster license info --format json` or the Admin API printed. */
export function licenceProblems(licence: unknown, cluster: ClusterName, now: Date): ShadowProblem[] {
  const view = readLicence(licence, now);
  switch (view.state) {
    case 'valid':
      return [];
    case 'missing':
      return [
        {
          code: 'licence-missing',
          cluster,
          message: `the ${cluster} cluster has no enterprise licence or trial, and Shadowing needs one on both clusters: ${LICENCE_FIX}`,
        },
      ];
    case 'expired': {
      const what = `${view.type ? `${view.type} ` : ''}licence${view.expires ? ` (expired ${view.expires})` : ''}`;
      const builtIn = view.type === 'free_trial' ? '; free_trial is the built-in 30-day trial that starts when a cluster is first created' : '';
      return [
        {
          code: 'licence-expired',
          cluster,
          message: `the ${cluster} cluster's ${what} has expired, and Shadowing needs a valid one on both clusters${builtIn}: ${LICENCE_FIX}`,
        },
      ];
    }
    default:
      return [
        {
          code: 'licence-unreadable',
          cluster,
          message: `cannot read the ${cluster} cluster's licence status: run \`${LICENCE_INFO_ARGV.join(' ')}\` in a ${cluster} broker and check that it prints license_status (rpk 24.2.8 or newer); if it says not_present, ${LICENCE_FIX}`,
        },
      ];
  }
}

export interface ClusterShadowFacts {
  cluster: ClusterName;
  /** What REDPANDA_VERSION_ARGV (or `redpanda --version`) printed in one of its brokers. */
  versionText: string;
  /** What LICENCE_INFO_ARGV printed (or the Admin API's /v1/features/license JSON). */
  licence: unknown;
}

/** Every Shadowing prerequisite problem of both clusters; empty when shadowing can start. */
export function shadowPrerequisiteProblems(clusters: readonly ClusterShadowFacts[], now: Date): ShadowProblem[] {
  return clusters.flatMap((c) => [...versionProblems(c.versionText, c.cluster), ...licenceProblems(c.licence, c.cluster, now)]);
}
