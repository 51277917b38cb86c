import { fitLine, LiveScreen } from './live-screen';
import { painter, visibleLength } from './output';

function recorder(isTTY: boolean, columns?: number) {
  const written: string[] = [];
  return { stream: { isTTY, columns, write: (text: string) => written.push(text) }, written };
}

describe('live screen', () => {
  it('appends only the lines that changed when the output is not a terminal', () => {
    const { stream, written } = recorder(false);
    const screen = new LiveScreen(stream);
    screen.show([
      { key: 'title', text: 'deployment 7' },
      { key: 'status', text: 'status queued' },
    ]);
    screen.show([
      { key: 'title', text: 'deployment 7' },
      { key: 'batch 1', text: 'batch 1/1 [----]' },
      { key: 'status', text: 'status in_progress' },
    ]);
    expect(written).toEqual([
      'deployment 7\n',
      'status queued\n',
      'batch 1/1 [----]\n',
      'status in_progress\n',
    ]);
  });

  it('redraws the frame in place on a terminal, cutting lines to its width', () => {
    const { stream, written } = recorder(true, 30);
    const screen = new LiveScreen(stream);
    screen.show([{ key: 'a', text: 'one' }]);
    screen.show([
      { key: 'a', text: 'one' },
      { key: 'b', text: 'x'.repeat(40) },
    ]);
    expect(written[0]).toBe('\x1b[2Kone\n\x1b[J');
    // Back up over the one line drawn, rewrite both.
    expect(written[1]).toBe(`\x1b[1F\x1b[2Kone\n\x1b[2K${'x'.repeat(28)}…\n\x1b[J`);
    screen.show([
      { key: 'a', text: 'one' },
      { key: 'b', text: 'x'.repeat(40) },
    ]);
    expect(written).toHaveLength(2);
  });

  it('keeps colour sequences whole when it cuts, and they do not count as width', () => {
    const paint = painter(true);
    const line = `${paint('in_rotation', 'green')} ${'y'.repeat(30)}`;
    const cut = fitLine(line, 20);
    expect(visibleLength(cut)).toBe(20);
    expect(cut.startsWith('\x1b[32min_rotation\x1b[0m')).toBe(true);
    expect(cut.endsWith('…\x1b[0m')).toBe(true);
    expect(fitLine('short', 20)).toBe('short');
  });
});
