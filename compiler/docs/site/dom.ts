/**
 * DOM helpers for the site. Text goes in through textContent only, so names,
 * descriptions and SQL from the project can never become markup; the one
 * exception is `trustedHtml`, used for Markdown the generator already rendered
 * with raw HTML disabled.
 */

type Child = Node | string | number | null | undefined | false;
type Children = Child | Children[];
type Attrs = Record<string, string | number | boolean | undefined | null | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Children[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v as EventListener);
      else if (k === 'class') el.className = String(v);
      else if (k === 'href') el.setAttribute('href', safeHref(String(v)));
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Children[]): void {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c);
    else if (c === null || c === undefined || c === false) continue;
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Only in-site hash links and http(s)/mailto. */
export function safeHref(href: string): string {
  return /^(#|https?:|mailto:)/i.test(href) ? href : '#';
}

/** HTML produced by the generator's Markdown renderer (raw HTML disabled there). */
export function trustedHtml(html: string, cls = 'desc'): HTMLElement {
  const d = document.createElement('div');
  d.className = cls;
  d.innerHTML = html;
  // belt and braces: nothing executable survives even if the renderer had a bug
  d.querySelectorAll('script,iframe,object,embed,style,link,meta,form,input,button,textarea,select').forEach((x) => x.remove());
  d.querySelectorAll('*').forEach((x) => {
    for (const a of [...x.attributes]) {
      if (/^on/i.test(a.name) || a.name === 'style' || a.name === 'srcdoc') x.removeAttribute(a.name);
      else if ((a.name === 'href' || a.name === 'src' || a.name === 'xlink:href') && !/^(#|https?:|mailto:|\.{0,2}\/|[^:]*$)/i.test(a.value.trim())) x.removeAttribute(a.name);
    }
  });
  return d;
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}
