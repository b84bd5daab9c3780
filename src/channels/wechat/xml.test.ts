import { describe, expect, it } from 'vitest';
import { buildV2Xml, parseV2Xml, V2_XML_FIELDS_MAX } from './xml.ts';

/** The strict APIv2 XML reader: the flat shape only, and never a DOCTYPE or an entity. */
describe('parseV2Xml', () => {
  it('reads the flat CDATA shape WeChat sends, with or without a declaration', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <return_code><![CDATA[SUCCESS]]></return_code>\n' +
      '  <total_fee>1</total_fee><body><![CDATA[a < b & c]]></body><empty></empty></xml>\n';
    expect(parseV2Xml(xml)).toEqual({ return_code: 'SUCCESS', total_fee: '1', body: 'a < b & c', empty: '' });
  });

  it('round-trips what buildV2Xml writes, leaving out empty values', () => {
    const fields = { appid: 'wx1', body: '中文 <tag> & ', out_trade_no: 'p_1', skipped: '' };
    const xml = buildV2Xml(fields);
    expect(xml).toBe(
      '<xml><appid><![CDATA[wx1]]></appid><body><![CDATA[中文 <tag> & ]]></body><out_trade_no><![CDATA[p_1]]></out_trade_no></xml>',
    );
    expect(parseV2Xml(xml)).toEqual({ appid: 'wx1', body: '中文 <tag> & ', out_trade_no: 'p_1' });
    expect(() => buildV2Xml({ body: 'x]]><evil/>' })).toThrow(/\]\]>/);
    expect(() => buildV2Xml({ 'bad name': 'x' })).toThrow(/plain name/);
  });

  it('refuses an XXE payload (external entity on file:///etc/passwd) before parsing', () => {
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
      '<xml><return_code>&xxe;</return_code></xml>';
    expect(() => parseV2Xml(xxe)).toThrow(/DOCTYPE or ENTITY/);
    // Lower case, spaced, or with the DOCTYPE hidden after the root: all refused.
    expect(() => parseV2Xml('<!doctype xml SYSTEM "http://evil/x.dtd"><xml></xml>')).toThrow(/DOCTYPE/);
    expect(() => parseV2Xml('<xml><a>1</a></xml><!DOCTYPE x>')).toThrow(/DOCTYPE/);
    expect(() => parseV2Xml('<xml><a><![CDATA[<!ENTITY x "y">]]></a></xml>')).toThrow(/ENTITY/);
  });

  it('refuses a billion-laughs payload, and never expands an entity reference', () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [',
      ' <!ENTITY lol "lol">',
      ...Array.from(
        { length: 9 },
        (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
      ),
      ']>',
      '<xml><a>&lol9;</a></xml>',
    ].join('\n');
    const started = performance.now();
    expect(() => parseV2Xml(lol)).toThrow(/DOCTYPE or ENTITY/);
    expect(performance.now() - started).toBeLessThan(50);
    // Without a DOCTYPE an entity reference is still refused, predefined ones included.
    expect(() => parseV2Xml('<xml><a>&lol9;</a></xml>')).toThrow(/entity/);
    expect(() => parseV2Xml('<xml><a>&amp;</a></xml>')).toThrow(/entity/);
    expect(() => parseV2Xml('<xml><a>&#60;</a></xml>')).toThrow(/entity/);
  });

  it('refuses anything but one flat <xml> element', () => {
    const bad: Array<[string, RegExp]> = [
      ['<root><a>1</a></root>', /root element/],
      ['<xml><a><b>1</b></a></xml>', /flat/],
      ['<xml><a x="1">1</a></xml>', /plain name/],
      ['<xml><a>1</a><a>2</a></xml>', /twice/],
      ['<xml><a>1</b></xml>', /flat/],
      ['<xml><a>1</a>', /unterminated|outside/],
      ['<xml><a><![CDATA[1</a></xml>', /CDATA/],
      ['<xml>text<a>1</a></xml>', /outside/],
      ['<xml><a>1</a></xml><xml></xml>', /after/],
      ['<xml><?php echo 1 ?><a>1</a></xml>', /plain name/],
      ['<xml><__proto__>1</__proto__></xml>', /./],
    ];
    for (const [xml, error] of bad) {
      if (xml.includes('__proto__')) {
        // Parsed into a null-prototype object: a key named __proto__ is data, not a prototype change.
        const fields = parseV2Xml(xml);
        expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        continue;
      }
      expect(() => parseV2Xml(xml), xml).toThrow(error);
    }
  });

  it('bounds the work: size and field count', () => {
    expect(() => parseV2Xml(`<xml><a><![CDATA[${'x'.repeat(70_000)}]]></a></xml>`)).toThrow(/larger than/);
    const many = `<xml>${Array.from({ length: V2_XML_FIELDS_MAX + 1 }, (_, i) => `<f${i}>1</f${i}>`).join('')}</xml>`;
    expect(() => parseV2Xml(many)).toThrow(/more than/);
  });
});
