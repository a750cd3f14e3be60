/**
 * OpenLineage naming and transports without a build: dataset namespaces of each target and file
 * location, the HTTP transport's bounded queue against a real receiver on 127.0.0.1 that never
 * answers, and an `openlineage.yml` http transport with an API key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpTransport, configuredTransports, fileDataset, targetNamespace } from './openlineage.js';
import { scrub } from '../log/scrub.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('dataset names', () => {
  it('namespaces come from the target: duckdb://<file>, postgres://host:port, hive://host:port', () => {
    expect(targetNamespace({ type: 'duckdb', path: 'target/x.duckdb' }, '/p')).toBe('duckdb:///p/target/x.duckdb');
    expect(targetNamespace({ type: 'duckdb', path: ':memory:' }, '/p')).toBe('duckdb://memory');
    expect(targetNamespace({ type: 'postgres', host: 'db.internal', port: 6543 }, '/p')).toBe('postgres://db.internal:6543');
    expect(targetNamespace({ type: 'postgres', host: 'db.internal' }, '/p')).toBe('postgres://db.internal:5432');
    expect(targetNamespace({ type: 'hive', host: 'spark', port: 10001 }, '/p')).toBe('hive://spark:10001');
  });

  it('files and object stores: file://, s3://bucket, azure://container@account', () => {
    expect(fileDataset('data/f.csv', '/p')).toEqual({ namespace: 'file://', name: '/p/data/f.csv' });
    expect(fileDataset('file:///abs/f.parquet', '/p')).toEqual({ namespace: 'file://', name: '/abs/f.parquet' });
    expect(fileDataset('s3://bucket/reports/city/2026', '/p')).toEqual({ namespace: 's3://bucket', name: 'reports/city/2026' });
    expect(fileDataset('azure://container/prefix/x', '/p')).toEqual({ namespace: 'azure://container', name: 'prefix/x' });
    expect(fileDataset('https://acct.blob.core.windows.net/cont/pre/x', '/p')).toEqual({ namespace: 'azure://cont@acct.blob.core.windows.net', name: 'pre/x' });
  });
});

describe('HTTP transport', () => {
  it('holds at most maxQueue events, waits a bounded time at close, and says what was dropped', async () => {
    const open = new Set<ServerResponse>();
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      open.add(res); // never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const warnings: string[] = [];
    try {
      const t = new HttpTransport({ url, maxQueue: 3, timeoutMs: 10_000, closeWaitMs: 300 }, { warn: (m) => warnings.push(m) });
      for (let i = 0; i < 10; i++) t.emit(JSON.stringify({ i }));
      const t0 = performance.now();
      await t.close();
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(requests).toBe(1); // one in flight, the rest queued or dropped
      expect(warnings).toEqual([expect.stringMatching(/OpenLineage: 10 event\(s\) not delivered to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/lineage \(6 dropped from a full queue\)/)]);
    } finally {
      for (const r of open) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('an openlineage.yml http transport sends with its API key, which becomes a secret', async () => {
    const key = 'yml-api-key-5b1d7e0c-not-logged';
    const got: { path?: string; auth?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        got.push({ path: req.url, auth: req.headers.authorization, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'tx-ol-yml-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'openlineage.yml'), `transport:\n  type: http\n  url: http://127.0.0.1:${(server.address() as AddressInfo).port}\n  endpoint: /custom/lineage\n  auth:\n    type: api_key\n    apiKey: ${key}\n`);
    try {
      const warnings: string[] = [];
      const ts = configuredTransports({}, dir, { warn: (m) => warnings.push(m) });
      expect(ts).toHaveLength(1);
      ts[0]!.emit('{"eventType":"START"}');
      await ts[0]!.close();
      expect(warnings).toEqual([]);
      expect(got).toEqual([{ path: '/custom/lineage', auth: `Bearer ${key}`, body: '{"eventType":"START"}' }]);
      expect(scrub(`the key is ${key}`)).toBe('the key is *****');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
