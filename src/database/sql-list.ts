/** `['a', 'b']` → `'a', 'b'`: the literal lists of CHECK constraints and partial indexes, from the domain constants. */
export function sqlList(values: readonly string[]): string {
  return values.map((value) => `'${value.replace(/'/g, "''")}'`).join(', ');
}
