/**
 * Does a broker of users' own clusters serve? The same question Envoy's health check asks, asked the
 * same way (./../../config/clusters.ts ClusterCheck): an HTTP(S) GET of the check's path and port that
 * must answer 200 (and, for Redpanda's admin API, say "ready"), or a TCP connect.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import type { ClusterCheck, ExternalBroker } from '../../config/clusters.js';
import { tcpAccepts } from '../../util/net.js';

function httpProbe(broker: ExternalBroker, check: ClusterCheck, timeoutMs: number): Promise<boolean> {
  const tls = check.tls;
  const options = {
    host: broker.host,
    port: broker.healthCheckPort ?? check.port ?? broker.port,
    path: check.path ?? '/',
    method: 'GET',
    timeout: timeoutMs,
    ...(tls ? { servername: tls.sni ?? broker.host, ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}) } : {}),
  };
  return new Promise((resolve) => {
    const req = (tls ? httpsRequest : httpRequest)(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 && (check.kind !== 'redpandaAdmin' || body.includes('ready'))));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Whether the broker passes its cluster's health check now. */
export function brokerServes(broker: ExternalBroker, check: ClusterCheck, timeoutMs: number): Promise<boolean> {
  return check.kind === 'tcp' ? tcpAccepts(broker.host, broker.healthCheckPort ?? check.port ?? broker.port, timeoutMs) : httpProbe(broker, check, timeoutMs);
}
