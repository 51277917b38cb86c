'use strict';
// The process behind one stand-in container. Its behaviour comes from the image tag:
// "broken" answers 500, "slow"/"slowN" listens after 3/N seconds, "crash" exits 1 at once, "die"/"dieN"
// answers healthy, then exits 1 two/N seconds after it started listening (a crash loop's first round),
// "hang" listens and accepts connections but never answers a request (a deadlocked process), "lateN"
// answers every request only N seconds after it arrived (a health endpoint stuck behind a slow dependency).
// argv: STATE_DIR CONTAINER_ID (the id in the command line lets the CLI and the fleet recognise it).
const fs = require('fs');
const http = require('http');
const path = require('path');

const [stateDir, containerId] = process.argv.slice(2);
const env = process.env;
const tag = env.FLEET_TAG || 'latest';
const identity = {
  host: env.HOST_ID || '',
  image: env.FLEET_IMAGE || '',
  tag,
  name: env.FLEET_CONTAINER_NAME || '',
};
const exitFile = path.join(stateDir, 'containers', `${containerId}.exit`);

function exit(code) {
  try {
    fs.writeFileSync(exitFile, String(code));
  } catch {
    /* the container may have been removed */
  }
  process.exit(code);
}

const log = (message) => console.log(`${new Date().toISOString()} ${message}`);

if (tag.includes('crash')) {
  console.error(`${identity.image}:${tag} crashed at start`);
  exit(1);
}

const broken = tag.includes('broken');
const slow = /slow(\d+)?/.exec(tag);
const listenDelayMs = slow ? Number(slow[1] || 3) * 1000 : 0;
const dies = /die(\d+)?/.exec(tag);
const hangs = tag.includes('hang');
// Digits required: "latest" is an ordinary tag.
const late = /late(\d+)/.exec(tag);
const lateMs = late ? Number(late[1]) * 1000 : 0;
let closing = false;
let listening = false;

/** `GET /__env/NAME` answers the variable's value as the process sees it (404 when unset), for tests. */
function envAnswer(req, res) {
  const name = /^\/__env\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(new URL(req.url, 'http://x').pathname)?.[1];
  if (name === undefined) return false;
  const value = env[name];
  const body = Buffer.from(value ?? '', 'utf8');
  res.writeHead(value === undefined ? 404 : 200, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
  });
  res.end(body);
  return true;
}

function answer(req, res) {
  if (envAnswer(req, res)) return;
  // `?delayMs=N` keeps a request in flight, to observe draining.
  const delay = Number(new URL(req.url, 'http://x').searchParams.get('delayMs') || 0);
  setTimeout(
    () => {
      const body = JSON.stringify(broken ? { ...identity, error: 'broken' } : identity);
      const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
      if (closing) headers.connection = 'close';
      res.writeHead(broken ? 500 : 200, headers);
      res.end(body);
    },
    Math.min(delay, 60_000),
  );
}

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    // The connection stays open and the request unanswered until the client gives up.
    if (hangs) return;
    if (lateMs > 0) setTimeout(() => answer(req, res), lateMs);
    else answer(req, res);
  });
  res.on('finish', () => {
    if (closing) setImmediate(() => server.closeIdleConnections());
  });
});
server.keepAliveTimeout = 5000;

function shutdown(signal) {
  log(`${signal}: shutting down`);
  closing = true;
  if (!listening) exit(0);
  server.close(() => exit(0));
  server.closeIdleConnections();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

server.on('error', (err) => {
  console.error(`listen failed: ${err.message}`);
  exit(1);
});

const port = Number(env.FLEET_LISTEN_PORT);
if (port) {
  setTimeout(() => {
    if (closing) return;
    server.listen(port, env.FLEET_LISTEN_ADDRESS || env.HOST_ADDRESS || '127.0.0.1', () => {
      listening = true;
      log(`${identity.image}:${tag} (${identity.name}) listening on ${env.FLEET_LISTEN_ADDRESS}:${port}`);
      if (dies) {
        setTimeout(
          () => {
            console.error(`${identity.image}:${tag} died`);
            exit(1);
          },
          Number(dies[1] || 2) * 1000,
        );
      }
    });
  }, listenDelayMs);
} else {
  setInterval(() => {}, 1 << 30);
}
