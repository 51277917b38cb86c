/** An error the docker CLI would print, with its exit code (125 for the CLI's own usage errors). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface FlagSpec {
  names: string[];
  key: string;
  kind: 'bool' | 'value' | 'multi';
}

export interface ParsedFlags {
  bools: Set<string>;
  values: Map<string, string[]>;
  positionals: string[];
}

/**
 * Parses argv the way docker's CLI (pflag) does for the forms Rollout and people use: `--name x`,
 * `--name=x`, `-p 8080:80`, `-p8080:80`, grouped short booleans (`-dq`). With `interspersed: false` (as
 * `docker run`), everything from the first positional on is positional.
 */
export function parseFlags(
  command: string,
  argv: readonly string[],
  specs: readonly FlagSpec[],
  { interspersed = true } = {},
): ParsedFlags {
  const byName = new Map<string, FlagSpec>();
  for (const spec of specs) for (const name of spec.names) byName.set(name, spec);
  const parsed: ParsedFlags = { bools: new Set(), values: new Map(), positionals: [] };
  const unknown = (flag: string) =>
    new CliError(`unknown flag: ${flag}\nSee 'docker ${command} --help'.`, 125);
  const needsValue = (flag: string) =>
    new CliError(`flag needs an argument: ${flag}\nSee 'docker ${command} --help'.`, 125);
  const set = (spec: FlagSpec, value: string) => {
    const list = parsed.values.get(spec.key) ?? [];
    if (spec.kind === 'value') list.length = 0;
    list.push(value);
    parsed.values.set(spec.key, list);
  };

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? '';
    if (word === '--') {
      parsed.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq === -1 ? word : word.slice(0, eq);
      const spec = byName.get(name);
      if (!spec) throw unknown(name);
      if (spec.kind === 'bool') {
        if (eq === -1 || word.slice(eq + 1) === 'true') parsed.bools.add(spec.key);
        else parsed.bools.delete(spec.key);
        continue;
      }
      if (eq !== -1) set(spec, word.slice(eq + 1));
      else if (i + 1 < argv.length) set(spec, argv[++i] ?? '');
      else throw needsValue(name);
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      for (let j = 1; j < word.length; j++) {
        const name = `-${word[j]}`;
        const spec = byName.get(name);
        if (!spec)
          throw new CliError(
            `unknown shorthand flag: '${word[j]}' in ${word}\nSee 'docker ${command} --help'.`,
            125,
          );
        if (spec.kind === 'bool') {
          parsed.bools.add(spec.key);
          continue;
        }
        const rest = word.slice(j + 1).replace(/^=/, '');
        if (rest !== '') set(spec, rest);
        else if (i + 1 < argv.length) set(spec, argv[++i] ?? '');
        else throw needsValue(name);
        break;
      }
      continue;
    }
    if (!interspersed) {
      parsed.positionals.push(...argv.slice(i));
      break;
    }
    parsed.positionals.push(word);
  }
  return parsed;
}

export function requirePositionals(
  command: string,
  positionals: readonly string[],
  min: number,
  max = Infinity,
): void {
  if (positionals.length >= min && positionals.length <= max) return;
  const wanted =
    min === max
      ? `exactly ${min} argument${min === 1 ? '' : 's'}`
      : max === Infinity
        ? `at least ${min} argument${min === 1 ? '' : 's'}`
        : `${min} to ${max} arguments`;
  throw new CliError(`"docker ${command}" requires ${wanted}.\nSee 'docker ${command} --help'.`, 1);
}
