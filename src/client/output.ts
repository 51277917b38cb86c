/** Where the command writes, and how: machine JSON on stdout, people's text with colour only on a TTY. */

export interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Terminal {
  stdout: Stream;
  stderr: Stream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, bold: 1, dim: 2 } as const;
export type Colour = keyof typeof CODES;

/** Colours only on a terminal, never with NO_COLOR set to anything (https://no-color.org) or TERM=dumb. */
export function colourEnabled(stream: Stream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
}

export type Paint = (text: string, colour: Colour) => string;

export function painter(colour: boolean): Paint {
  return colour ? (text, name) => `\x1b[${CODES[name]}m${text}\x1b[0m` : (text) => text;
}

const ANSI_SEQUENCE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

export function visibleLength(text: string): number {
  return text.replace(ANSI_SEQUENCE, '').length;
}

/** Rows under a header, each column as wide as its widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((header, column) =>
    Math.max(visibleLength(header), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** Green for what went well, red for what failed, yellow for what is under way. */
export function statusColour(status: string): Colour {
  if (['completed', 'healthy', 'in_rotation', 'running', 'ok'].includes(status)) return 'green';
  if (
    ['failed', 'unhealthy', 'rolled_back', 'rollback_failed', 'completed_with_errors', 'cancelled'].includes(
      status,
    )
  ) {
    return 'red';
  }
  return 'yellow';
}

export class Output {
  /** Where people's text goes: stdout, or stderr when stdout carries JSON. */
  readonly human: Stream;
  readonly paint: Paint;

  constructor(
    readonly terminal: Terminal,
    readonly jsonMode: boolean,
  ) {
    this.human = jsonMode ? terminal.stderr : terminal.stdout;
    this.paint = painter(colourEnabled(this.human, terminal.env));
  }

  /** The command's result: the API's JSON with `--json`, else these lines. */
  result(json: unknown, lines: () => readonly string[]): void {
    if (this.jsonMode) {
      this.terminal.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      return;
    }
    for (const line of lines()) this.terminal.stdout.write(`${line}\n`);
  }

  /** Text for people along the way (a plan, progress): stdout, or stderr with `--json`. */
  say(line = ''): void {
    this.human.write(`${line}\n`);
  }

  warn(line: string): void {
    this.terminal.stderr.write(`warning: ${line}\n`);
  }
}
