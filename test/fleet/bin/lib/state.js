'use strict';
// Per-host state of the docker stand-in: JSON files under FLEET_STATE_DIR, guarded by a mkdir lock
// and written atomically (temp file + rename) so parallel commands on one host never corrupt it.
const fs = require('fs');
const path = require('path');

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms) {
  Atomics.wait(sleeper, 0, 0, ms);
}

function stateDir() {
  const dir = process.env.FLEET_STATE_DIR || path.join(process.env.HOME || '/tmp', '.fleet-docker');
  fs.mkdirSync(path.join(dir, 'containers'), { recursive: true });
  return dir;
}

function pidAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  return true;
}

function withLock(fn) {
  const lockDir = path.join(stateDir(), 'lock');
  const ownerFile = path.join(lockDir, 'owner');
  const giveUpAt = Date.now() + 30_000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(ownerFile, String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      breakStaleLock(lockDir, ownerFile);
      if (Date.now() > giveUpAt) throw new Error(`timed out waiting for the state lock ${lockDir}`);
      sleepSync(5 + Math.floor(Math.random() * 10));
    }
  }
  const release = () => fs.rmSync(lockDir, { recursive: true, force: true });
  let result;
  try {
    result = fn();
  } catch (err) {
    release();
    throw err;
  }
  if (result && typeof result.then === 'function') return result.finally(release);
  release();
  return result;
}

function breakStaleLock(lockDir, ownerFile) {
  let owner = 0;
  try {
    owner = Number(fs.readFileSync(ownerFile, 'utf8'));
  } catch {
    // The owner may be between mkdir and writing its pid: only an old ownerless lock is stale.
    try {
      if (Date.now() - fs.statSync(lockDir).mtimeMs > 5000)
        fs.rmSync(lockDir, { recursive: true, force: true });
    } catch {
      /* already gone */
    }
    return;
  }
  if (owner && !pidAlive(owner)) fs.rmSync(lockDir, { recursive: true, force: true });
}

function writeJson(file, value) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2));
  fs.renameSync(tmp, file);
}

function readJson(file, fallback) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return fallback;
    throw err;
  }
}

const imagesFile = () => path.join(stateDir(), 'images.json');
const containerFile = (id) => path.join(stateDir(), 'containers', `${id}.json`);
const exitFile = (id) => path.join(stateDir(), 'containers', `${id}.exit`);
const logFile = (id) => path.join(stateDir(), 'containers', `${id}.log`);

function loadImages() {
  return readJson(imagesFile(), {});
}

function saveImages(images) {
  writeJson(imagesFile(), images);
}

/** True when `pid` is the container's own process: alive, not a zombie, and started for this container id. */
function containerProcessAlive(container) {
  const pid = container.State.Pid;
  if (!pid || !pidAlive(pid)) return false;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(container.Id)) return false;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const processState = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return processState !== 'Z' && processState !== 'X';
  } catch {
    return false;
  }
}

function readExitCode(id) {
  try {
    const code = Number(fs.readFileSync(exitFile(id), 'utf8').trim());
    return Number.isInteger(code) ? code : null;
  } catch {
    return null;
  }
}

/** Brings a recorded "running" container in line with reality: a dead process means `exited`. */
function refresh(container) {
  if (container.State.Status !== 'running' || containerProcessAlive(container)) return container;
  const code = readExitCode(container.Id);
  container.State = {
    ...container.State,
    Status: 'exited',
    Running: false,
    Pid: 0,
    ExitCode: code === null ? 137 : code,
    FinishedAt: new Date().toISOString(),
  };
  writeJson(containerFile(container.Id), container);
  return container;
}

function loadContainers() {
  const dir = path.join(stateDir(), 'containers');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readJson(path.join(dir, f), null))
    .filter(Boolean)
    .map(refresh);
}

function saveContainer(container) {
  writeJson(containerFile(container.Id), container);
}

function removeContainer(id) {
  for (const file of [containerFile(id), exitFile(id), logFile(id)]) fs.rmSync(file, { force: true });
}

/** Docker's lookup order: exact id, exact name, then a unique id prefix. */
function findContainer(containers, ref) {
  const name = ref.replace(/^\//, '');
  const exact = containers.find((c) => c.Id === ref) || containers.find((c) => c.Name === `/${name}`);
  if (exact) return exact;
  const byPrefix = containers.filter((c) => c.Id.startsWith(ref));
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}

module.exports = {
  sleepSync,
  stateDir,
  withLock,
  loadImages,
  saveImages,
  loadContainers,
  saveContainer,
  removeContainer,
  findContainer,
  containerProcessAlive,
  readExitCode,
  exitFile,
  logFile,
  refresh,
};
