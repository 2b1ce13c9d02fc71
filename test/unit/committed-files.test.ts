/**
 * The committed docker-compose.yml, envoy-proxy/envoy.yaml and redpanda-config/* must be exactly what
 * `failover-demo render` produces from the defaults. To refresh them after a renderer change:
 *   npm run build && env -u REDPANDA_VERSION -u ENVOY_VERSION node bin/failover-demo.js render
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultTopology } from '../../src/config/topology.js';
import { renderFiles } from '../../src/render/files.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const HOW_TO_FIX = 'committed file differs from the renderer: run `node bin/failover-demo.js render` (after npm run build) and commit';

describe('committed rendered files', () => {
  const files = renderFiles(defaultTopology({}));

  it.each(files.map((f) => [f.path, f.content]))('%s matches render of the defaults', (path, content) => {
    const file = join(PACKAGE_ROOT, path);
    expect(existsSync(file), `${path} is missing; ${HOW_TO_FIX}`).toBe(true);
    expect(readFileSync(file, 'utf8'), HOW_TO_FIX).toBe(content);
  });

  it('redpanda-config holds no broker folders beyond the default topology', () => {
    const expected = [...new Set(files.filter((f) => f.path.startsWith('redpanda-config/')).map((f) => f.path.split('/')[1]))].sort();
    expect(readdirSync(join(PACKAGE_ROOT, 'redpanda-config')).sort()).toEqual(expected);
  });
});
