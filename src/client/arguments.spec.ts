import { InvalidArgumentError } from 'commander';
import {
  collectEnv,
  parseBatch,
  parseId,
  parsePort,
  parseSeconds,
  splitList,
  wholeNumber,
} from './arguments';

describe('--batch', () => {
  it.each([
    ['25%', { batchSize: 25, batchSizeIsPercentage: true }],
    ['100%', { batchSize: 100, batchSizeIsPercentage: true }],
    ['1%', { batchSize: 1, batchSizeIsPercentage: true }],
    ['3', { batchSize: 3, batchSizeIsPercentage: false }],
    ['1', { batchSize: 1, batchSizeIsPercentage: false }],
    [' 50% ', { batchSize: 50, batchSizeIsPercentage: true }],
  ])('reads %j', (text, expected) => {
    expect(parseBatch(text)).toEqual(expected);
  });

  it.each(['0', '0%', '101%', '-1', '2.5', '25 %', '%', '', 'abc', '25%%', '1e2', '0x10'])(
    'refuses %j with a message saying what to give',
    (text) => {
      expect(() => parseBatch(text)).toThrow(InvalidArgumentError);
    },
  );

  it('names both forms when the value is not a number', () => {
    expect(() => parseBatch('half')).toThrow('a percentage of the servers (25%) or a number of servers (3)');
  });
});

describe('numbers', () => {
  it('reads fractional seconds and refuses negative or non-numeric ones', () => {
    expect(parseSeconds('30')).toBe(30);
    expect(parseSeconds('0.05')).toBe(0.05);
    expect(parseSeconds('.5')).toBe(0.5);
    for (const bad of ['-1', 'abc', '1e3', '', '1,5', 'Infinity']) {
      expect(() => parseSeconds(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('reads whole numbers from a minimum', () => {
    expect(wholeNumber(0)('0')).toBe(0);
    expect(() => wholeNumber(1)('0')).toThrow('at least 1');
    expect(() => wholeNumber(1)('1.5')).toThrow(InvalidArgumentError);
    expect(() => wholeNumber(1)('99999999999999999999')).toThrow(InvalidArgumentError);
  });

  it('reads ports and ids', () => {
    expect(parsePort('22')).toBe(22);
    expect(() => parsePort('65536')).toThrow('from 1 to 65535');
    expect(() => parsePort('0')).toThrow(InvalidArgumentError);
    expect(parseId('7')).toBe(7);
    expect(() => parseId('seven')).toThrow(InvalidArgumentError);
  });
});

describe('lists', () => {
  it('collects NAME=VALUE pairs, keeping = in values', () => {
    expect(collectEnv('B=x=y', collectEnv('A=1'))).toEqual({ A: '1', B: 'x=y' });
    expect(() => collectEnv('=1')).toThrow(InvalidArgumentError);
    expect(() => collectEnv('A')).toThrow(InvalidArgumentError);
  });

  it('splits comma or space separated lists given in one or several arguments', () => {
    expect(splitList(['web-1,web-2', 'web-3', ' 4 , 5'])).toEqual(['web-1', 'web-2', 'web-3', '4', '5']);
  });
});
