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

/** Safe HTML for a Markdown description ('' for none). */
export function renderMarkdown(text: string | null | undefined): string {
  if (!text || !text.trim()) return '';
  return md.render(text);
}
