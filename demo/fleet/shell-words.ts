const BARE = /^[A-Za-z0-9_@%+=:,./-]+/;
const QUOTED = /^'([^']*)'/;

/**
 * The words of a command line made only of plain words, `'single-quoted'` parts and `\'`, one space
 * apart (what Rollout's `shellJoin` writes), or null for anything a shell would treat specially:
 * operators, redirections, expansions, globs, double quotes, comments. Such a line means the same to
 * every POSIX shell.
 */
export function simpleCommandWords(line: string): string[] | null {
  const words: string[] = [];
  let rest = line;
  let word: string | null = null;
  while (rest !== '') {
    const bare = BARE.exec(rest);
    const quoted = bare ? null : QUOTED.exec(rest);
    if (bare) {
      word = (word ?? '') + bare[0];
      rest = rest.slice(bare[0].length);
    } else if (quoted) {
      word = (word ?? '') + (quoted[1] ?? '');
      rest = rest.slice(quoted[0].length);
    } else if (rest.startsWith("\\'")) {
      word = (word ?? '') + "'";
      rest = rest.slice(2);
    } else if (rest.startsWith(' ') && word !== null && rest.length > 1 && rest[1] !== ' ') {
      words.push(word);
      word = null;
      rest = rest.slice(1);
    } else {
      return null;
    }
  }
  if (word === null) return null;
  words.push(word);
  return words;
}
