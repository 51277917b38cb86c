'use strict';
// `docker run --env-file` as the Docker CLI reads it (docker/cli opts/file.go, parseKeyValueFile): one
// variable per line; leading whitespace is trimmed, blank lines and lines starting with `#` are skipped;
// the value is everything after the first `=`, unquoted and untrimmed; a line holding only a name takes
// the value from the CLI's own environment and is skipped when that is unset. Lines end at LF (a CR
// before it is dropped); a UTF-8 BOM at the start is ignored; invalid UTF-8 is refused.
const fs = require('fs');
const { CliError } = require('./args');

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function runError(message) {
  return new CliError(`docker: ${message}.\nSee 'docker run --help'.`, 125);
}

/** The file's lines as raw bytes, split like Go's bufio.ScanLines. */
function scanLines(data) {
  const lines = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0x0a, start);
    const next = end === -1 ? data.length : end + 1;
    if (end === -1) end = data.length;
    if (end > start && data[end - 1] === 0x0d) end--;
    lines.push(data.subarray(start, end));
    start = next;
  }
  return lines;
}

/** `KEY=VALUE` strings, in file order. */
function readEnvFile(path, environment = process.env) {
  let data;
  try {
    data = fs.readFileSync(path);
  } catch (err) {
    throw runError(`open ${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
  }
  const result = [];
  scanLines(data).forEach((raw, index) => {
    let bytes = raw;
    if (index === 0 && bytes.subarray(0, 3).equals(BOM)) bytes = bytes.subarray(3);
    let text;
    try {
      text = utf8.decode(bytes);
    } catch {
      throw runError(`env file ${path} contains invalid utf8 bytes at line ${index + 1}`);
    }
    const line = text.replace(/^\s+/u, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const variable = (eq === -1 ? line : line.slice(0, eq)).replace(/^[ \t]+/, '');
    if (/[ \t]/.test(variable)) {
      throw runError(`poorly formatted environment: variable '${variable}' contains whitespaces`);
    }
    if (variable === '') throw runError(`poorly formatted environment: no variable name on line '${line}'`);
    if (eq !== -1) result.push(`${variable}=${line.slice(eq + 1)}`);
    else if (environment[variable] !== undefined) result.push(`${variable}=${environment[variable]}`);
  });
  return result;
}

module.exports = { readEnvFile };
