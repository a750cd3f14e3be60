import { describe, expect, it } from 'vitest';
import { renderMarkdown, renderMarkdownFull } from './markdown.js';

/** A deterministic generator of lines over an alphabet that includes every character the shortcut accepts and many it must refuse. */
function* lines(n: number): Generator<string> {
  let seed = 7;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const wide = "abcXYZ019 ,;()'?!%/-._*#<>&\"`[]:@~|\\=+\n\t";
  const near = "abcXYZ019 ,;()'?!%/-._ ";
  const words = ['d4_l0_m33', 'x.com', 'www.example.org', 'http://a.b', '1.', '2)', '- ', '_a_', 'a_', '_b', '3.5', 'end.', 'e. g.', '  ', 'mailto:x@y.z', '__init__', 'a_b_c'];
  for (let i = 0; i < n; i++) {
    let s = '';
    const alphabet = rnd() < 0.6 ? near : wide;
    const len = 1 + Math.floor(rnd() * 30);
    for (let j = 0; j < len; j++) {
      const r = rnd();
      // mostly plain characters, now and then a word with Markdown meaning or any character at all
      s += r < 0.2 ? words[Math.floor(rnd() * words.length)] : r < 0.24 ? wide[Math.floor(rnd() * wide.length)] : alphabet[Math.floor(rnd() * alphabet.length)];
    }
    yield s;
  }
}

describe('renderMarkdown', () => {
  it("renders exactly as markdown-it, also for the plain lines it does not parse", () => {
    let shortcut = 0;
    const corpus = [
      'The c1 of d4_l0_m33.',
      'Two-letter state code of the practice.',
      "Claims including refills; may be missing.",
      'Space-separated zip codes; null for one city.',
      'See example.com for more.',
      'Visit www.example.com',
      '1. a list',
      'a _b_ c',
      'a *b* c',
      'snake_case_name and __dunder__',
      'Costs 5% (approx.)',
      ...lines(6_000),
    ];
    for (const text of corpus) {
      const full = text.trim() ? renderMarkdownFull(text) : '';
      const got = renderMarkdown(text);
      if (got !== full) throw new Error(`differs for ${JSON.stringify(text)}: ${JSON.stringify(got)} vs markdown-it ${JSON.stringify(full)}`);
      if (got === `<p>${text}</p>\n`) shortcut++;
    }
    // the comparison covered many lines that take the shortcut
    expect(shortcut).toBeGreaterThan(1000);
  });

  it('still escapes HTML and guesses links', () => {
    expect(renderMarkdown('<script>x</script>')).toBe('<p>&lt;script&gt;x&lt;/script&gt;</p>\n');
    expect(renderMarkdown('see https://example.com.')).toContain('<a href="https://example.com"');
    expect(renderMarkdown('')).toBe('');
  });
});
