import type { FrameLine, RenderStyle } from './live-view';

/** Colours only on a terminal, and never when NO_COLOR is set to anything (https://no-color.org). */
export function styleFor(isTTY: boolean, env: NodeJS.ProcessEnv, columns?: number): RenderStyle {
  const colour = isTTY && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
  return isTTY && columns !== undefined && columns > 20 ? { colour, width: columns - 1 } : { colour };
}

/**
 * What a terminal gets to replace the `previousLines` it shows with `lines`: back up to the first of them,
 * rewrite each, and clear what is left below (a shorter frame).
 */
export function redrawSequence(previousLines: number, lines: readonly string[]): string {
  const up = previousLines > 0 ? `\x1b[${previousLines}F` : '';
  return `${up}${lines.map((line) => `\x1b[2K${line}\n`).join('')}\x1b[J`;
}

/** The lines of a frame that differ from what was printed last under the same key. */
export function changedLines(printed: Map<string, string>, frame: readonly FrameLine[]): string[] {
  const changed: string[] = [];
  for (const { key, text } of frame) {
    if (printed.get(key) === text) continue;
    printed.set(key, text);
    changed.push(text);
  }
  return changed;
}

interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * The demo's terminal. On a TTY the current deployment's frame is redrawn in place; otherwise (CI, a
 * pipe) every changed line is appended, so the output reads as a log.
 */
export class LiveOutput {
  readonly style: RenderStyle;
  private readonly tty: boolean;
  private drawn = 0;
  private printed = new Map<string, string>();

  constructor(
    private readonly stream: Stream,
    env: NodeJS.ProcessEnv,
  ) {
    this.tty = stream.isTTY === true;
    this.style = styleFor(this.tty, env, stream.columns);
  }

  /** A line below the current frame, which stays as it is. */
  line(text = ''): void {
    this.commit();
    this.stream.write(`${text}\n`);
  }

  frame(lines: readonly FrameLine[]): void {
    if (this.tty) {
      this.stream.write(
        redrawSequence(
          this.drawn,
          lines.map((line) => line.text),
        ),
      );
      this.drawn = lines.length;
      return;
    }
    for (const text of changedLines(this.printed, lines)) this.stream.write(`${text}\n`);
  }

  /** Leaves the current frame as drawn; the next frame starts below it. */
  commit(): void {
    this.drawn = 0;
    this.printed = new Map();
  }
}
