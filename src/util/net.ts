/** Small TCP/HTTP helpers shared by the stand-in and the runtimes (node built-ins only: the broker image copies this file). */
import { get } from 'node:http';
import { connect } from 'node:net';

/** A host and port, as a listener is bound or dialled. */
export interface SocketAddress {
  address: string;
  port: number;
}

/** True when a TCP connection to host:port succeeds within timeoutMs. */
export function tcpAccepts(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Where clients on this host reach a listener bound to `at` (wildcard binds → loopback). */
export function dialAddress(at: SocketAddress): SocketAddress {
  const wildcard = at.address === '0.0.0.0' || at.address === '::' || at.address === '';
  return { address: wildcard ? '127.0.0.1' : at.address, port: at.port };
}

/** Status code of GET http://host:port/path within timeoutMs, or undefined (refused, timed out…). */
export function httpGetStatus(host: string, port: number, path: string, timeoutMs = 1_000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = get({ host, port, path, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
  });
}

/** Whether GET `url` answers 2xx within timeoutMs (false when refused, timed out or an error status). */
export function httpOk(url: string, timeoutMs = 2_000): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.ok, () => false);
}
