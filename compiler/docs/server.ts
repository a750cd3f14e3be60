/** `tx docs serve`: a small static file server for target/docs on loopback, and target/manifest.json as /manifest.json. */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { TxError } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

export interface ServeOptions {
  dir: string;
  port: number;
  host?: string;
  /** Served as /manifest.json (default: manifest.json in the folder above `dir`, as target/docs sits in target/). */
  manifest?: string;
}

export async function serveDocs(o: ServeOptions): Promise<{ server: Server; url: string }> {
  const root = resolve(o.dir);
  if (!existsSync(join(root, 'index.html'))) {
    throw new TxError('USAGE', `no docs site in ${root}`, { hint: 'run `tx docs generate` first' });
  }
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    let file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    // The site does not copy the manifest: /manifest.json is the artifact beside the site folder.
    if (path === '/manifest.json' && !existsSync(file)) file = o.manifest ?? join(root, '..', 'manifest.json');
    let st;
    try {
      st = statSync(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${path}\n`);
      return;
    }
    if (st.isDirectory()) {
      res.writeHead(302, { location: `${path.replace(/\/?$/, '/')}` }).end();
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': st.size,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'EADDRINUSE' ? new TxError('USAGE', `port ${o.port} on ${host} is in use`, { hint: 'choose another with --port N (0 picks a free one)' }) : e),
    );
    server.listen(o.port, host, () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return { server, url: `http://${host}:${port}/` };
}
