'use strict';
// The subset of Go templates that docker's --format is used with: literal text, `{{.A.B}}`, `{{json .A}}`,
// `{{index .A "k"}}`, pipelines into json/lower/upper, and `{{-`/`-}}` trimming.

class TemplateError extends Error {}

const FUNCTIONS = {
  json: (v) => JSON.stringify(v === undefined ? null : v),
  lower: (v) => goFormat(v).toLowerCase(),
  upper: (v) => goFormat(v).toUpperCase(),
  index: (v, ...keys) => keys.reduce((acc, k) => (acc == null ? undefined : acc[k]), v),
};

function goFormat(value) {
  if (value === undefined) return '<no value>';
  if (value === null) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((k) => `${k}:${goFormat(value[k])}`).join(' ')}]`;
  }
  return String(value);
}

function tokenize(action) {
  const tokens = [];
  const re = /"((?:[^"\\]|\\.)*)"|\||[^\s|"]+/g;
  let m;
  while ((m = re.exec(action))) {
    if (m[1] !== undefined) tokens.push({ literal: JSON.parse(`"${m[1]}"`) });
    else tokens.push(m[0] === '|' ? { pipe: true } : { word: m[0] });
  }
  return tokens;
}

function evalArg(token, data) {
  if (token.literal !== undefined) return token.literal;
  const word = token.word;
  if (word === '.') return data;
  if (word.startsWith('.')) {
    return word
      .slice(1)
      .split('.')
      .reduce((acc, key) => (acc == null || typeof acc !== 'object' ? undefined : acc[key]), data);
  }
  if (/^-?\d+$/.test(word)) return Number(word);
  if (word === 'true' || word === 'false') return word === 'true';
  throw new TemplateError(`template parsing error: template: :1: function "${word}" not defined`);
}

function evalCommand(tokens, data, piped) {
  if (tokens.length === 0)
    throw new TemplateError('template parsing error: template: :1: missing value for command');
  const [head, ...rest] = tokens;
  if (head.word && FUNCTIONS[head.word]) {
    const args = rest.map((t) => evalArg(t, data));
    if (piped.length) args.push(piped[0]);
    return FUNCTIONS[head.word](...args);
  }
  if (rest.length || piped.length) {
    throw new TemplateError(
      `template parsing error: template: :1: can't give argument to non-function ${head.word}`,
    );
  }
  return evalArg(head, data);
}

function evalAction(action, data) {
  const commands = [[]];
  for (const token of tokenize(action)) {
    if (token.pipe) commands.push([]);
    else commands[commands.length - 1].push(token);
  }
  let result;
  commands.forEach((tokens, i) => {
    result = evalCommand(tokens, data, i === 0 ? [] : [result]);
  });
  return result;
}

/** Renders `template` against `data`; throws TemplateError like docker's "template parsing error". */
function render(template, data) {
  let out = '';
  let rest = template;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) return out + rest;
    const close = rest.indexOf('}}', open);
    if (close < 0) throw new TemplateError('template parsing error: template: :1: unclosed action');
    let literal = rest.slice(0, open);
    let action = rest.slice(open + 2, close);
    let after = rest.slice(close + 2);
    if (action.startsWith('-')) {
      literal = literal.replace(/\s+$/, '');
      action = action.slice(1);
    }
    if (action.endsWith('-')) {
      after = after.replace(/^\s+/, '');
      action = action.slice(0, -1);
    }
    out += literal;
    const value = evalAction(action.trim(), data);
    out += typeof value === 'string' ? value : goFormat(value);
    rest = after;
  }
}

module.exports = { render, TemplateError, goFormat };
