import { currentSessions, parseShowStat } from './haproxy-stat';

const SHOW_STAT = [
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,status',
  'be_shop,web-1,0,0,3,5,,10,DRAIN',
  'be_shop,web-2,0,0,0,4,,12,UP',
  'be_shop,BACKEND,0,0,3,9,,22,UP',
  '',
  '',
].join('\n');

describe('show stat', () => {
  it('parses rows by the header', () => {
    expect(parseShowStat(SHOW_STAT)).toEqual([
      {
        pxname: 'be_shop',
        svname: 'web-1',
        qcur: '0',
        qmax: '0',
        scur: '3',
        smax: '5',
        slim: '',
        stot: '10',
        status: 'DRAIN',
      },
      {
        pxname: 'be_shop',
        svname: 'web-2',
        qcur: '0',
        qmax: '0',
        scur: '0',
        smax: '4',
        slim: '',
        stot: '12',
        status: 'UP',
      },
      {
        pxname: 'be_shop',
        svname: 'BACKEND',
        qcur: '0',
        qmax: '0',
        scur: '3',
        smax: '9',
        slim: '',
        stot: '22',
        status: 'UP',
      },
    ]);
  });

  it('finds scur wherever the column is', () => {
    const reordered = '# svname,scur,pxname\r\nweb-1,7,be_shop\r\n';
    expect(currentSessions(parseShowStat(reordered), 'be_shop', ['web-1'])).toEqual(new Map([['web-1', 7]]));
  });

  it('gives the current sessions of each named server', () => {
    expect(currentSessions(parseShowStat(SHOW_STAT), 'be_shop', ['web-1', 'web-2'])).toEqual(
      new Map([
        ['web-1', 3],
        ['web-2', 0],
      ]),
    );
  });

  it('fails without a header, a listed server or a number', () => {
    expect(() => parseShowStat('No such proxy.\n')).toThrow('no "# pxname,…" header');
    expect(() => currentSessions(parseShowStat(SHOW_STAT), 'be_shop', ['web-3'])).toThrow(
      'show stat lists no server be_shop/web-3',
    );
    expect(() => currentSessions(parseShowStat(SHOW_STAT), 'be_other', ['web-1'])).toThrow(
      'no server be_other/web-1',
    );
    expect(() =>
      currentSessions(parseShowStat('# pxname,svname,scur\nbe,web-1,\n'), 'be', ['web-1']),
    ).toThrow('show stat gives no scur for be/web-1');
  });
});
