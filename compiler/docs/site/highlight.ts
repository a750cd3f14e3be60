/** A small SQL (+ Jinja) highlighter: tokens become <span>s with text content only. */
import { h } from './dom.js';

const KEYWORDS = new Set(
  ('select from where group by order having limit offset with as and or not in is null join left right full outer inner cross on using union all ' +
    'distinct case when then else end cast over partition rows range between preceding following current row window qualify ' +
    'create table view replace insert into values update set delete merge matched exists like ilike asc desc nulls first last ' +
    'true false interval lateral natural except intersect recursive filter within any some by_name if begin commit try_cast exclude')
    .split(/\s+/),
);

const TOKEN =
  /(\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\})|(--[^\n]*|\/\*[\s\S]*?\*\/)|('(?:[^']|'')*'?)|("(?:[^"]|"")*"?|`[^`]*`?)|(\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_][A-Za-z0-9_$]*)(?=\s*\()|([A-Za-z_][A-Za-z0-9_$]*)/gi;

export function highlightSql(sql: string): HTMLElement {
  const pre = h('pre', { class: 'sql' });
  const code = h('code');
  pre.appendChild(code);
  let last = 0;
  const text = (s: string) => {
    if (s) code.appendChild(document.createTextNode(s));
  };
  const span = (cls: string, s: string) => code.appendChild(h('span', { class: cls }, s));
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(sql); m; m = TOKEN.exec(sql)) {
    text(sql.slice(last, m.index));
    const [all, tpl, cm, str, qid, num, fn, word] = m;
    if (tpl) span('tpl', all);
    else if (cm) span('cm', all);
    else if (str) span('str', all);
    else if (qid) span('id', all);
    else if (num) span('num', all);
    else if (fn) span(KEYWORDS.has(fn.toLowerCase()) ? 'kw' : 'fn', all);
    else if (word && KEYWORDS.has(word.toLowerCase())) span('kw', all);
    else text(all);
    last = m.index + all.length;
  }
  text(sql.slice(last));
  return pre;
}
