/**
 * Descriptions are Markdown, rendered at generate time with raw HTML disabled:
 * `<script>` or `<img onerror>` in a description comes out as text. Links keep
 * only http(s), mailto and in-page/relative targets.
 */
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });

const SAFE_LINK = /^(https?:|mailto:|#|\.{0,2}\/|[^:]*$)/i;
const defaultValidate = md.validateLink.bind(md);
md.validateLink = (url: string) => defaultValidate(url) && SAFE_LINK.test(url.trim());

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const t = tokens[idx]!;
  const href = String(t.attrGet('href') ?? '');
  if (/^(https?:|mailto:)/i.test(href)) {
    t.attrSet('target', '_blank');
    t.attrSet('rel', 'noopener noreferrer');
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/**
 * One line of plain words that Markdown leaves as it is: it starts with a letter, holds only
 * letters, digits, spaces and `,;()'?!%/-`, a `.` only before a space or at the end (so no link
 * is guessed), and `_` only between letters or digits (so no emphasis). markdown-it renders such a
 * line as `<p>line</p>\n`; markdown.test.ts checks that against markdown-it on random lines.
 */
const PLAIN = /^[A-Za-z](?:[A-Za-z0-9 ,;()'?!%/-]|\.(?= |$)|(?<=[A-Za-z0-9])_(?=[A-Za-z0-9]))*$/;

/** Safe HTML for a Markdown description ('' for none). Plain lines skip the parser (most column descriptions). */
export function renderMarkdown(text: string | null | undefined): string {
  if (!text || !text.trim()) return '';
  if (text.length < 500 && PLAIN.test(text) && !text.endsWith(' ')) return `<p>${text}</p>\n`;
  return md.render(text);
}

/** markdown-it's rendering, without the plain-line shortcut (for the tests). */
export function renderMarkdownFull(text: string): string {
  return md.render(text);
}
