'use strict';
// Flag parsing with docker's (cobra's) error texts; usage errors exit 125 like the real CLI.

class CliError extends Error {
  constructor(message, exitCode = 1, stdout = '') {
    super(message);
    this.exitCode = exitCode;
    this.stdout = stdout;
  }
}

function usageError(command, problem) {
  return new CliError(`${problem}\nSee 'docker ${command} --help'.`, 125);
}

/**
 * spec: [{ names: ['-d', '--detach'], key: 'detach', type: 'bool' | 'value' | 'multi' }].
 * Without `interspersed`, the first positional ends the flags (docker run IMAGE CMD...).
 */
function parseArgs(command, argv, spec, { interspersed = true } = {}) {
  const byName = new Map();
  for (const s of spec) for (const n of s.names) byName.set(n, s);
  const flags = {};
  for (const s of spec) flags[s.key] = s.type === 'multi' ? [] : s.type === 'bool' ? false : undefined;
  const positionals = [];
  const set = (s, value) => {
    if (s.type === 'multi') flags[s.key].push(value);
    else flags[s.key] = value;
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (!interspersed) {
        positionals.push(...argv.slice(i));
        break;
      }
      positionals.push(arg);
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg : arg.slice(0, eq);
      const s = byName.get(name);
      if (!s) throw usageError(command, `unknown flag: ${name}`);
      if (s.type === 'bool') {
        set(s, eq < 0 ? true : arg.slice(eq + 1) !== 'false');
      } else if (eq >= 0) {
        set(s, arg.slice(eq + 1));
      } else {
        if (i + 1 >= argv.length) throw usageError(command, `flag needs an argument: ${name}`);
        set(s, argv[++i]);
      }
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j];
      const s = byName.get(`-${letter}`);
      if (!s) throw usageError(command, `unknown shorthand flag: '${letter}' in ${arg}`);
      if (s.type === 'bool') {
        set(s, true);
        continue;
      }
      let value = arg.slice(j + 1).replace(/^=/, '');
      if (value === '') {
        if (i + 1 >= argv.length) throw usageError(command, `flag needs an argument: '${letter}' in ${arg}`);
        value = argv[++i];
      }
      set(s, value);
      break;
    }
  }
  return { flags, positionals };
}

function requireArgs(command, positionals, min, max = Infinity) {
  if (positionals.length >= min && positionals.length <= max) return;
  const what =
    min === max
      ? `exactly ${min} argument${min === 1 ? '' : 's'}`
      : `at least ${min} argument${min === 1 ? '' : 's'}`;
  throw new CliError(`"docker ${command}" requires ${what}.\nSee 'docker ${command} --help'.`, 1);
}

module.exports = { CliError, parseArgs, requireArgs };
