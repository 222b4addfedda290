// The samples' backend: a stand-in sign-in, and the one thing a front end must never do
// itself, getting the signed-in user's Billflow hash. Node.js only, no dependencies.
//
//   STATIC_DIR=dist BILLFLOW_BRIDGE_URL=https://bridge.your.site \
//   BILLFLOW_BRIDGE_API_KEY=… PORT=3000 node server.mjs
//
// It serves the built app from STATIC_DIR (any path without a file is the app's, for its
// router), and:
//   POST /api/login  {"email"}  signs in (a sample: any address; use your own login)
//   GET  /api/me                 {"email", "hash", "expires_at", "billflow"} or 401
//   POST /api/logout             signs out
// The hash comes from the bridge's POST /v1/hash, asked with the bridge's API key from this
// process's environment: the key never reaches the browser, and neither does a secret key.
import {randomBytes} from 'node:crypto';
import {readFile, stat} from 'node:fs/promises';
import {createServer} from 'node:http';
import {extname, join, normalize, resolve, sep} from 'node:path';

const root = resolve(process.env.STATIC_DIR || 'dist');
const bridge = (process.env.BILLFLOW_BRIDGE_URL || '').replace(/\/$/, '');
const bridgeKey = process.env.BILLFLOW_BRIDGE_API_KEY || '';
if (!bridge || !bridgeKey) {
  console.error('Set BILLFLOW_BRIDGE_URL and BILLFLOW_BRIDGE_API_KEY (see the README).');
  process.exit(2);
}
const TYPES = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.ico': 'image/x-icon'};
const sessions = new Map();  // session id → email; a real site keeps its own sessions

const send = (res, status, body, headers = {}) => {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers});
  res.end(data);
};
const who = (req) => {
  const found = /(?:^|;\s*)sample_session=([\w-]+)/.exec(req.headers.cookie || '');
  return found ? sessions.get(found[1]) : undefined;
};
const bodyOf = async (req) => {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 4096) throw new Error('too large');
  }
  return JSON.parse(text || '{}');
};

// The user's expiring hash, made by the bridge.
const hashFor = async (email) => {
  const answer = await fetch(`${bridge}/v1/hash`, {
    method: 'POST',
    headers: {'Authorization': `Bearer ${bridgeKey}`, 'Content-Type': 'application/json'},
    body: JSON.stringify({email}),
  });
  if (!answer.ok) throw new Error(`the bridge answered ${answer.status}`);
  return answer.json();
};

const api = async (req, res, path) => {
  if (path === '/api/login' && req.method === 'POST') {
    const {email} = await bodyOf(req);
    if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) {
      return send(res, 400, {error: 'Enter an email address.'});
    }
    const id = randomBytes(24).toString('base64url');
    sessions.set(id, email);
    return send(res, 200, {email},
      {'Set-Cookie': `sample_session=${id}; Path=/; HttpOnly; SameSite=Lax`});
  }
  if (path === '/api/logout' && req.method === 'POST') {
    const found = /(?:^|;\s*)sample_session=([\w-]+)/.exec(req.headers.cookie || '');
    if (found) sessions.delete(found[1]);
    return send(res, 200, {}, {'Set-Cookie': 'sample_session=; Path=/; Max-Age=0'});
  }
  if (path === '/api/me' && req.method === 'GET') {
    const email = who(req);
    if (!email) return send(res, 401, {error: 'Not signed in.'});
    const made = await hashFor(email);
    return send(res, 200, {email, hash: made.hash, expires_at: made.expires_at,
      billflow: `${bridge}/billflow`});
  }
  return send(res, 404, {error: 'No such route.'});
};

const file = async (res, path) => {
  let target = normalize(join(root, decodeURIComponent(path)));
  if (target !== root && !target.startsWith(root + sep)) return send(res, 404, {error: 'No such file.'});
  const found = await stat(target).catch(() => null);
  if (!found || !found.isFile()) target = join(root, 'index.html');  // the app's own route
  const data = await readFile(target);
  res.writeHead(200, {'Content-Type': TYPES[extname(target)] || 'application/octet-stream'});
  res.end(data);
  return undefined;
};

const server = createServer(async (req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  try {
    if (path.startsWith('/api/')) await api(req, res, path);
    else await file(res, path);
  } catch (error) {
    console.error(error);
    send(res, 500, {error: 'Something went wrong.'});
  }
});
const port = Number(process.env.PORT || 3000);
server.listen(port, process.env.HOST || '127.0.0.1', () => {
  console.log(`The sample is on http://${process.env.HOST || '127.0.0.1'}:${server.address().port}/`);
});
