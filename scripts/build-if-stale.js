#!/usr/bin/env node
'use strict';
// `npm start` and `npm run demo` on a fresh clone need only `npm ci`: build when dist/ is missing or
// older than the sources. tsc rewrites every output on each build, so one output's time dates the build.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const SOURCES = ['src', 'migrations', 'demo', 'dashboard', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const STAMP = path.join(root, 'dist', 'src', 'main.js');

function newestMtime(entry) {
  let stat;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

function builtAt() {
  try {
    return fs.statSync(STAMP).mtimeMs;
  } catch {
    return 0;
  }
}

const sourcesAt = Math.max(...SOURCES.map((entry) => newestMtime(path.join(root, entry))));
if (builtAt() >= sourcesAt) process.exit(0);
process.stderr.write(builtAt() === 0 ? 'dist/ is missing: building…\n' : 'sources changed since the last build: building…\n');
const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
process.exit(build.status ?? 1);
