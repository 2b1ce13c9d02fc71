import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/controller/config.js';

const brokers = (c: string, n = 3) => Array.from({ length: n }, (_, i) => ({ broker: `${c}-broker-${i}`, envoyClusters: [`${c}_broker_${i}`] }));

const valid = () => ({
  adminUrl: 'http://127.0.0.1:9901',
  listen: { address: '127.0.0.1', port: 9902 },
  quorum: 2,
  failback: 'auto',
  failbackHoldMs: 10_000,
  pollMs: 200,
  clusters: { primary: brokers('primary'), secondary: brokers('secondary') },
  lds: { file: 'lds/listeners.yaml', choices: { primary: 'lds-choices/primary.yaml', secondary: 'lds-choices/secondary.yaml' } },
  eventsFile: 'controller-events.jsonl',
});

/** The ConfigError `fn` throws. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

/** A valid config with one change at a dotted path (undefined deletes the key). */
function withChange(path: string, value: unknown): Record<string, unknown> {
  const cfg = valid() as unknown as Record<string, unknown>;
  const keys = path.split('.');
  let o = cfg as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (value === undefined) delete o[last];
  else o[last] = value;
  return cfg;
}

describe('parseConfig', () => {
  it('accepts the documented example and resolves paths against the base folder', () => {
    const c = parseConfig(valid(), '/etc/demo');
    expect(c).toEqual({
      adminUrl: 'http://127.0.0.1:9901',
      listen: { address: '127.0.0.1', port: 9902 },
      quorum: 2,
      failback: 'auto',
      failbackHoldMs: 10_000,
      pollMs: 200,
      clusters: { primary: brokers('primary'), secondary: brokers('secondary') },
      lds: {
        file: '/etc/demo/lds/listeners.yaml',
        choices: { primary: '/etc/demo/lds-choices/primary.yaml', secondary: '/etc/demo/lds-choices/secondary.yaml' },
      },
      eventsFile: '/etc/demo/controller-events.jsonl',
    });
  });

  it('keeps absolute paths and drops a trailing slash of adminUrl', () => {
    const cfg = withChange('lds.file', '/run/lds/listeners.yaml');
    cfg.adminUrl = 'http://envoy:9901/';
    const c = parseConfig(cfg, '/etc/demo');
    expect(c.lds.file).toBe('/run/lds/listeners.yaml');
    expect(c.adminUrl).toBe('http://envoy:9901');
  });

  it('fills defaults for the optional keys', () => {
    const cfg = valid() as Record<string, unknown>;
    for (const k of ['quorum', 'failback', 'failbackHoldMs', 'pollMs', 'eventsFile']) delete cfg[k];
    const c = parseConfig(cfg, '/x');
    expect(c).toEqual(expect.objectContaining({ quorum: 2, failback: 'auto', failbackHoldMs: 10_000, pollMs: 200 }));
    expect(c.eventsFile).toBeUndefined();
    expect(parseConfig({ ...cfg, clusters: { primary: brokers('primary', 5), secondary: brokers('secondary', 5) } }, '/x').quorum).toBe(3);
  });

  it('allows $-keys (comments)', () => {
    expect(() => parseConfig({ ...valid(), $comment: 'rendered by failover-demo' }, '/x')).not.toThrow();
  });

  it.each([
    ['adminUrl', undefined, 'adminUrl', 'is required'],
    ['adminUrl', 'not a url', 'adminUrl', 'is not a URL'],
    ['adminUrl', 'ftp://x', 'adminUrl', 'http:// or https://'],
    ['adminUrl', 9901, 'adminUrl', 'must be a non-empty string, got number 9901'],
    ['listen', 'x', 'listen', 'must be an object'],
    ['listen.port', 70_000, 'listen.port', 'must be from 1 to 65535, got 70000'],
    ['listen.port', '9902', 'listen.port', 'must be an integer, got "9902"'],
    ['listen.address', '', 'listen.address', 'must be a non-empty string'],
    ['quorum', 0, 'quorum', 'must be from 1 to 3, got 0'],
    ['quorum', 4, 'quorum', 'must be from 1 to 3, got 4'],
    ['quorum', 1.5, 'quorum', 'must be an integer'],
    ['failback', 'sometimes', 'failback', 'must be "auto" or "manual", got "sometimes"'],
    ['failbackHoldMs', -1, 'failbackHoldMs', 'must be at least 0'],
    ['pollMs', 0, 'pollMs', 'must be from 10 to 60000'],
    ['clusters.primary', [], 'clusters.primary', 'must be a non-empty array of brokers'],
    ['clusters.secondary', undefined, 'clusters.secondary', 'is required'],
    ['clusters.tertiary', [], 'clusters.tertiary', 'unknown key'],
    ['lds.file', undefined, 'lds.file', 'is required'],
    ['lds.choices.secondary', 'lds-choices/primary.yaml', 'lds.choices.secondary', 'is the same file as lds.choices.primary'],
    ['lds.choices.primary', 'lds/listeners.yaml', 'lds.choices.primary', 'is the same file as lds.file'],
    ['eventsFile', '', 'eventsFile', 'must be a non-empty string'],
    ['pollMS', 100, 'pollMS', 'unknown key'],
  ])('%s = %j → %s: %s', (path, value, key, problem) => {
    const err = configError(() => parseConfig(withChange(path, value), '/x'));
    expect(err.key).toBe(key);
    expect(err.problem).toContain(problem);
    expect(err.message).toBe(`${key}: ${err.problem}`);
    expect(err.message).not.toContain('\n');
  });

  it('names the broker entry at fault', () => {
    const cfg = valid();
    (cfg.clusters.secondary[1] as Record<string, unknown>).envoyClusters = [];
    expect(configError(() => parseConfig(cfg, '/x')).key).toBe('clusters.secondary[1].envoyClusters');

    const cfg2 = valid();
    (cfg2.clusters.primary[2] as Record<string, unknown>).broker = 7;
    expect(configError(() => parseConfig(cfg2, '/x')).key).toBe('clusters.primary[2].broker');

    const cfg3 = valid();
    (cfg3.clusters.primary[0] as Record<string, unknown>).envoy = ['x'];
    expect(configError(() => parseConfig(cfg3, '/x')).key).toBe('clusters.primary[0].envoy');
  });

  it('refuses a broker configured twice', () => {
    const cfg = valid();
    cfg.clusters.secondary[0]!.broker = 'primary-broker-1';
    const err = configError(() => parseConfig(cfg, '/x'));
    expect(err.key).toBe('clusters.secondary[0].broker');
    expect(err.problem).toContain('already configured at clusters.primary[1].broker');
  });

  it('quorum may not exceed the smaller cluster', () => {
    const cfg = { ...valid(), quorum: 3, clusters: { primary: brokers('primary', 3), secondary: brokers('secondary', 2) } };
    expect(configError(() => parseConfig(cfg, '/x')).message).toBe('quorum: must be from 1 to 2, got 3');
  });

  it('refuses a top level that is not an object', () => {
    expect(configError(() => parseConfig([], '/x')).key).toBe('(top level)');
  });
});

describe('loadConfig', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'controller-config-'));
    dirs.push(d);
    return d;
  };

  it('resolves relative paths against the folder holding the config file', () => {
    const dir = tmp();
    const file = join(dir, 'controller.json');
    writeFileSync(file, JSON.stringify(valid()));
    const c = loadConfig(file);
    expect(c.lds.file).toBe(join(dir, 'lds/listeners.yaml'));
    expect(c.eventsFile).toBe(join(dir, 'controller-events.jsonl'));
  });

  it('a missing file or bad JSON is a ConfigError on "(file)"', () => {
    const dir = tmp();
    expect(configError(() => loadConfig(join(dir, 'nope.json'))).key).toBe('(file)');
    writeFileSync(join(dir, 'bad.json'), '{ "adminUrl": ');
    const err = configError(() => loadConfig(join(dir, 'bad.json')));
    expect(err.key).toBe('(file)');
    expect(err.problem).toContain('is not valid JSON');
  });
});
