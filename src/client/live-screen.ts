import { type Stream, visibleLength } from './output';

/** A line of a frame; `key` says which earlier line it replaces (`batch 2`, `status`). */
export interface FrameLine {
  key: string;
  text: string;
}

const COLOUR_AT_START = new RegExp(`^${String.fromCharCode(27)}\\[[0-9;]*m`);

/** Cuts a line to `width` visible characters, so a redrawn frame never wraps (wrapping breaks the redraw). */
export function fitLine(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length && visible < width - 1; i++) {
    const escape = COLOUR_AT_START.exec(line.slice(i));
    if (escape) {
      out += escape[0];
      i += escape[0].length - 1;
      continue;
    }
    out += line[i];
    visible++;
  }
  return `${out}…${line.includes('\x1b[') ? '\x1b[0m' : ''}`;
}

/**
 * A frame of lines kept up to date. On a terminal the frame is redrawn in place; elsewhere (a pipe, a CI
 * log) only the lines that changed are appended, so the output reads as a log.
 */
export class LiveScreen {
  private drawn = 0;
  private lastFrame = '';
  private readonly printed = new Map<string, string>();

  constructor(private readonly stream: Stream) {}

  show(frame: readonly FrameLine[]): void {
    if (this.stream.isTTY === true) {
      const width = (this.stream.columns ?? 0) > 20 ? (this.stream.columns ?? 0) - 1 : undefined;
      const lines = frame.map((line) => line.text);
      const fitted = width === undefined ? lines : lines.map((line) => fitLine(line, width));
      // The same frame again (an event that changed nothing visible) is not redrawn.
      const key = fitted.join('\n');
      if (key === this.lastFrame) return;
      this.lastFrame = key;
      const up = this.drawn > 0 ? `\x1b[${this.drawn}F` : '';
      this.stream.write(`${up}${fitted.map((line) => `\x1b[2K${line}\n`).join('')}\x1b[J`);
      this.drawn = fitted.length;
      return;
    }
    for (const { key, text } of frame) {
      if (this.printed.get(key) === text) continue;
      this.printed.set(key, text);
      this.stream.write(`${text}\n`);
    }
  }
}
