import fc from 'fast-check';

// ---------------------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------------------

const SPECIALS = [
  ...['$(id)', '`id`', '${IFS}', ';', '&&', '|', '>', '<', '*', '?', '~', '!', '#', '=', '-', '--', '@'],
  ...["'", '"', '\\', '\\n', "'\\''", ' ', '\t', '\n', '\r', '\r\n', '\0', '\u001b[2J', '\u007f', '\u0085'],
  ...['.', '..', '/', '//', '/../', '/./', '%2e%2e', '%2f', '%00', '%0a', '%', ',', ':', '::', '[', ']'],
  ...['{', '}', '(', ')', '`) || Host(`evil', '\u202e', '\u200b', '\u200d', '\ufeff', '\u00a0', '\u2028'],
  ...['\u3000', 'ѕ', 'а', 'ｅ', '／', '．', '‥', 'K', 'ß', 'İ', 'é', 'e\u0301', '😀', '\ud800', '\udc00'],
  ...['\udbff\udfff', '\ue000', 'A', 'z', '0', '9', '_', 'a'.repeat(64), '€'.repeat(50)],
];
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIALS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 4 }) },
);
const hostileString = fc.array(piece, { maxLength: 10 }).map((parts) => parts.join(''));

/** A valid value with hostile pieces spliced in, so values close to the boundary are tried too. */
function mutated(valid: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), piece), { minLength: 1, maxLength: 3 }))
    .map(([base, inserts]) =>
      inserts.reduce((value, [at, text]) => {
        const i = at % (value.length + 1);
        return value.slice(0, i) + text + value.slice(i);
      }, base),
    );
}

/** A valid value grown past (or up to) a length limit with repeated safe or hostile characters. */
function grown(valid: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...valid),
      fc.integer({ min: 1, max: 140_000 }),
      fc.constantFrom('a', 'x/', "'", '€', '😀', '.'),
    )
    .map(
      ([base, length, filler]) => base + filler.repeat(Math.ceil(length / filler.length)).slice(0, length),
    );
}

export const strangeJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
);

export function text(valid: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: mutated(valid) },
    { weight: 2, arbitrary: hostileString },
    { weight: 2, arbitrary: fc.constantFrom(...valid) },
    { weight: 1, arbitrary: grown(valid) },
    { weight: 1, arbitrary: strangeJson },
  );
}

export const number: fc.Arbitrary<unknown> = fc.oneof(
  fc.double(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ min: -1, max: 70_000, noNaN: true }),
  fc.integer({ min: 0, max: 11_000 }),
  fc.constantFrom(0, -0, 0.01, 0.009, 0.1, 0.099, 1, 100, 101, 300, 300.01, 1000, 1001, 3600, 3600.001),
  fc.constantFrom(10_000, 10_001, 65_535, 65_536, 2 ** 31, 2 ** 53, 1e308, -1, NaN, Infinity, -Infinity),
  fc.constantFrom('5', '0x10', true, null, [1], {}),
);

export const envMap: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(
    text(['A', 'NODE_ENV', '_x', 'toString']) as fc.Arbitrary<string>,
    text(['production', '', 'a b', "it's"]),
    { maxKeys: 4 },
  ),
  // Few large values: their quoted size, not their count, is what a command line cannot hold.
  fc
    .array(fc.tuple(fc.integer({ min: 1000, max: 33_000 }), fc.constantFrom('x', "'", '€', 'a b')), {
      minLength: 1,
      maxLength: 6,
    })
    .map((values) => Object.fromEntries(values.map(([n, c], i) => [`V${i}`, c.repeat(n).slice(0, 33_000)]))),
  strangeJson,
);
