/** `fn` runs on the first call only; every call gets that first call's promise. */
export function onceOnly<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
}
