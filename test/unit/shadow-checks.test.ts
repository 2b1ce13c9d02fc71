/**
 * Shadowing prerequisites (src/runtime/docker/shadow-checks.ts): Redpanda 25.3 or newer and an enterprise
 * licence or trial. Samples follow Redpanda's docs and rpk's source, named at each one.
 */
import { describe, expect, it } from 'vitest';
import {
  licenceProblems,
  parseRedpandaVersions,
  readLicence,
  shadowPrerequisiteProblems,
  versionProblems,
} from '../../src/runtime/docker/shadow-checks.js';

const NOW = new Date('2026-08-10T12:00:00Z');
const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** `rpk version` as rpk's version.go prints it. */
const rpkVersion = (v: string) => `Version:     ${v}
Git ref:     8e3f1a2
Build date:  2025-11-19T10:00:00Z
OS/Arch:     linux/amd64
Go version:  go1.24.4

Redpanda Cluster
  node-0  ${v} - 8e3f1a2b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f
`;

describe('versionProblems', () => {
  it('reads `redpanda --version` ("<version> - <commit>") and `rpk version`, not the Go version', () => {
    expect(parseRedpandaVersions('v24.1.6 - 5e880f6fd1a610d0991b00e32c012a03b14888ca').map((v) => v.text)).toEqual(['v24.1.6']);
    expect(parseRedpandaVersions(rpkVersion('v25.3.1')).map((v) => v.text)).toEqual(['v25.3.1']);
    expect(parseRedpandaVersions('v25.3.1-rc2 - abc')[0]).toEqual({ major: 25, minor: 3, patch: 1, text: 'v25.3.1-rc2' });
  });

  it('below 25.3: a problem naming the version and REDPANDA_VERSION', () => {
    for (const v of ['v24.2.1', 'v25.2.9', 'v23.3.20']) {
      const problems = versionProblems(`${v} - abcdef`, 'primary');
      expect(problems).toHaveLength(1);
      expect(problems[0]!.code).toBe('version-too-old');
      expect(problems[0]!.message).toContain(`Redpanda ${v.slice(1)} on the primary cluster has no Shadowing`);
      expect(problems[0]!.message).toContain('set REDPANDA_VERSION to v25.3.1 or newer');
    }
  });

  it('at and above 25.3: no problem', () => {
    for (const v of ['v25.3.0', 'v25.3.1', 'v26.1.14', 'v26.2.1', 'v27.0.0']) expect(versionProblems(rpkVersion(v), 'secondary'), v).toEqual([]);
  });

  it('a mixed cluster reports its old brokers', () => {
    const text = `${rpkVersion('v25.3.1')}  node-1  v25.2.4 - 0123abcd\n`;
    expect(versionProblems(text, 'secondary').map((p) => p.message)).toEqual([expect.stringContaining('Redpanda 25.2.4 on the secondary cluster')]);
  });

  it('no version (or a v0.0.0 development build): says it cannot tell and what to check', () => {
    for (const text of ['', 'rpk: command not found', 'v0.0.0-dev - 000000']) {
      const [p] = versionProblems(text, 'primary');
      expect(p?.code, text).toBe('version-unknown');
      expect(p?.message).toContain('`rpk version`');
    }
  });
});

describe('licenceProblems', () => {
  // Keys: rpk's infoResponse struct tags (src/go/rpk/pkg/cli/cluster/license/info.go); values as the docs'
  // examples (get-started/pages/licensing/check-status/rpk.adoc, partials/licensing/license-status.adoc).
  const rpkInfo = (patch: Record<string, unknown>) => ({
    license_status: 'valid',
    license_violation: false,
    enterprise_features_in_use: ['partition_auto_balancing_continuous'],
    organization: 'Devex',
    type: 'enterprise',
    expires: 'Oct 11 2026',
    expires_unix: unix('2026-10-11T00:00:00Z'),
    license_expired: false,
    ...patch,
  });

  it('valid enterprise licence or trial: no problem', () => {
    expect(licenceProblems(JSON.stringify(rpkInfo({})), 'primary', NOW)).toEqual([]);
    expect(licenceProblems(rpkInfo({ type: 'trial' }), 'primary', NOW)).toEqual([]);
    // The built-in 30-day trial of a new cluster (organization per license-status.adoc).
    const builtIn = rpkInfo({ type: 'free_trial', organization: 'Redpanda Built-In Evaluation Period', expires_unix: unix('2026-09-01T00:00:00Z') });
    expect(licenceProblems(builtIn, 'secondary', NOW)).toEqual([]);
  });

  it('missing: license_status not_present, old rpk\'s {} or its text, Admin API loaded:false', () => {
    const notPresent = { license_status: 'not_present', license_violation: false, enterprise_features_in_use: [] };
    // Admin API /v1/features/license sample: troubleshoot/partials/debug-bundle/inspect.adoc.
    const adminEmpty = { loaded: false, license: { format_version: 0, org: '', type: '', expires: 0, sha256: '' } };
    for (const licence of [notPresent, '{}', 'this cluster is missing a license', adminEmpty]) {
      const problems = licenceProblems(licence, 'secondary', NOW);
      expect(problems.map((p) => p.code), JSON.stringify(licence)).toEqual(['licence-missing']);
      expect(problems[0]!.message).toContain('the secondary cluster has no enterprise licence or trial');
      expect(problems[0]!.message).toContain('`rpk cluster license set --path <licence file>`');
      expect(problems[0]!.message).toContain('`rpk generate license --apply`');
    }
  });

  it('expired: license_status expired, license_expired, a past expires_unix or Admin API expires', () => {
    const past = unix('2026-07-01T00:00:00Z');
    const cases = [
      { license_status: 'expired', license_violation: true, enterprise_features_in_use: [] },
      rpkInfo({ license_status: undefined, license_expired: true }),
      rpkInfo({ type: 'free_trial', expires_unix: past }),
      { loaded: true, license: { format_version: 1, org: 'Devex', type: 'enterprise', expires: past, sha256: 'ab' } },
    ];
    for (const licence of cases) {
      const problems = licenceProblems(licence, 'primary', NOW);
      expect(problems.map((p) => p.code), JSON.stringify(licence)).toEqual(['licence-expired']);
      expect(problems[0]!.message).toContain('`rpk cluster license set');
    }
    const trial = licenceProblems(rpkInfo({ type: 'free_trial', expires_unix: past }), 'primary', NOW)[0]!;
    expect(trial.message).toContain('free_trial licence (expired 2026-07-01)');
    expect(trial.message).toContain('built-in 30-day trial');
  });

  it('Admin API with a loaded, current licence: no problem', () => {
    const ok = { loaded: true, license: { format_version: 1, org: 'Devex', type: 'enterprise', expires: unix('2027-01-01T00:00:00Z'), sha256: 'ab' } };
    expect(readLicence(ok, NOW)).toEqual({ state: 'valid', type: 'enterprise', expires: '2027-01-01' });
  });

  it('unreadable output: says which command to run', () => {
    for (const licence of ['', 'oops', '[1,2]', { license_status: 'strange' }]) {
      const problems = licenceProblems(licence, 'primary', NOW);
      expect(problems.map((p) => p.code), JSON.stringify(licence)).toEqual(['licence-unreadable']);
      expect(problems[0]!.message).toContain('rpk cluster license info --format json');
    }
  });
});

describe('shadowPrerequisiteProblems', () => {
  it('collects both clusters\' version and licence problems; none when all is well', () => {
    const good = { license_status: 'valid', license_violation: false, type: 'enterprise', expires_unix: unix('2027-01-01T00:00:00Z') };
    expect(
      shadowPrerequisiteProblems(
        [
          { cluster: 'primary', versionText: 'v25.3.1 - abc', licence: good },
          { cluster: 'secondary', versionText: 'v26.2.1 - abc', licence: good },
        ],
        NOW,
      ),
    ).toEqual([]);
    const problems = shadowPrerequisiteProblems(
      [
        { cluster: 'primary', versionText: 'v24.2.1 - abc', licence: good },
        { cluster: 'secondary', versionText: 'v25.3.1 - abc', licence: '{}' },
      ],
      NOW,
    );
    expect(problems.map((p) => `${p.cluster}:${p.code}`)).toEqual(['primary:version-too-old', 'secondary:licence-missing']);
  });
});
