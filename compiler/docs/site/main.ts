/**
 * The docs site app: routes (overview, lineage graph, node pages, lists),
 * search, and on-demand loading of node details. Bundled by esbuild into
 * assets/app.js (a classic script, so it runs from file://).
 */
import { GraphView, STATUS_COLOURS, TYPE_COLOURS, type GraphModel } from './graph.js';
import { clear, h, trustedHtml } from './dom.js';
import { highlightSql } from './highlight.js';
import { layoutGraph } from './layout.js';
import { indexSelector, selectionErrorText } from './index-selection.js';
import { CHUNK_SIZE, unpackData, type SiteIndex, type SiteNode, type TxWindow } from './site-data.js';

const w = window as unknown as Window & TxWindow & { __txReady?: number; __txDebug?: unknown };
const app = document.getElementById('app')!;

function fatal(title: string, detail: string): void {
  clear(app);
  app.appendChild(h('main', null, h('h1', null, title), h('div', { class: 'banner error' }, detail)));
}

const data = w.__tx?.data?.index as SiteIndex | undefined;
if (!data || !data.nodes || !Array.isArray(data.nodes.id)) {
  fatal(
    'The docs data did not load',
    'data/index.js is missing or unreadable. Run `tx compile` (or `tx build`), then `tx docs generate`, and open target/docs/index.html again.',
  );
  throw new Error('tx docs: no data/index.js');
}
const idx: SiteIndex = data;
const N = idx.nodes.id.length;
const byId = new Map<string, number>();
idx.nodes.id.forEach((id, i) => byId.set(id, i));
const parents: number[][] = Array.from({ length: N }, () => []);
const children: number[][] = Array.from({ length: N }, () => []);
for (let k = 0; k < idx.edges.length; k += 2) {
  children[idx.edges[k]!]!.push(idx.edges[k + 1]!);
  parents[idx.edges[k + 1]!]!.push(idx.edges[k]!);
}
const lowerNames = idx.nodes.name.map((n) => n.toLowerCase());
const selectIndexes = indexSelector(idx);

// ------------------------------------------------------------------ node details, loaded on demand
const chunks = new Map<number, Promise<SiteNode[]>>();
function loadChunk(k: number): Promise<SiteNode[]> {
  let p = chunks.get(k);
  if (!p) {
    p = new Promise<SiteNode[]>((ok, fail) => {
      const key = `c${k}`;
      const have = w.__tx?.data?.[key];
      if (have) return ok(unpackData<SiteNode[]>(have));
      const s = document.createElement('script');
      s.src = `data/nodes/${key}.js`;
      s.onload = () => {
        const d = w.__tx?.data?.[key];
        if (d) ok(unpackData<SiteNode[]>(d));
        else fail(new Error(`data/nodes/${key}.js loaded but held no data`));
      };
      s.onerror = () => fail(new Error(`data/nodes/${key}.js is missing: the site is incomplete. Run \`tx docs generate\` again.`));
      document.head.appendChild(s);
    });
    p.catch(() => chunks.delete(k));
    chunks.set(k, p);
  }
  return p;
}
async function loadNode(i: number): Promise<SiteNode> {
  const list = await loadChunk(Math.floor(i / CHUNK_SIZE));
  const n = list[i % CHUNK_SIZE];
  if (!n || n.id !== idx.nodes.id[i]) throw new Error('the node details do not match the index: the site is half-written or mixed from two runs. Run `tx docs generate` again.');
  return n;
}

// ------------------------------------------------------------------ small view helpers
const nodeHref = (i: number) => `#/node/${encodeURIComponent(idx.nodes.id[i]!)}`;
const graphHref = (select: string, extra = '') => `#/graph?select=${encodeURIComponent(select)}${extra}`;
const statusPill = (s: string | null | undefined) => h('span', { class: `pill ${(s ?? 'not run').replace(/\s+/g, '-')}` }, s ?? 'not run');
const typeTag = (t: string) => h('span', { class: `type ${t}` }, t);
const nodeLink = (i: number) => h('a', { href: nodeHref(i), 'data-node': idx.nodes.id[i]! }, idx.nodes.name[i]!);

function ago(iso: string | null | undefined): string {
  if (!iso) return '—';
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (!Number.isFinite(s)) return iso;
  const f = (v: number, u: string) => `${Math.round(v)} ${u}${Math.round(v) === 1 ? '' : 's'} ago`;
  if (s < 90) return f(Math.max(0, s), 'second');
  if (s < 5400) return f(s / 60, 'minute');
  if (s < 129600) return f(s / 3600, 'hour');
  return f(s / 86400, 'day');
}
const secs = (t: number | null | undefined) => (t == null ? '—' : t < 1 ? `${Math.round(t * 1000)} ms` : `${t.toFixed(2)} s`);

function warnings(): HTMLElement[] {
  return idx.meta.warnings.map((m) => h('div', { class: 'banner', role: 'status' }, m));
}

// ------------------------------------------------------------------ header and search
let currentView: { destroy?: () => void } | null = null;
const main = h('main');

function header(): HTMLElement {
  const input = h('input', { type: 'search', placeholder: `Search ${N} nodes by name…`, 'aria-label': 'Search nodes', id: 'search' }) as HTMLInputElement;
  const list = h('ul', { id: 'search-results', hidden: true });
  let hits: number[] = [];
  let active = 0;
  const render = () => {
    clear(list);
    list.hidden = !hits.length;
    hits.forEach((i, k) => {
      list.appendChild(h('li', null, h('a', { href: nodeHref(i), class: k === active ? 'active' : '' }, typeTag(idx.nodes.type[i]!), idx.nodes.name[i]!)));
    });
  };
  input.addEventListener('input', () => {
    hits = search(input.value);
    active = 0;
    render();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') active = Math.min(hits.length - 1, active + 1);
    else if (e.key === 'ArrowUp') active = Math.max(0, active - 1);
    else if (e.key === 'Enter' && hits.length) {
      location.hash = nodeHref(hits[active]!);
      hits = [];
      input.blur();
    } else if (e.key === 'Escape') hits = [];
    else return;
    e.preventDefault();
    render();
  });
  input.addEventListener('blur', () => setTimeout(() => ((list.hidden = true), undefined), 200));
  input.addEventListener('focus', () => render());
  return h(
    'header',
    { class: 'top' },
    h('span', { class: 'brand' }, idx.meta.project),
    h('nav', null, h('a', { href: '#/' }, 'Overview'), h('a', { href: '#/graph' }, 'Lineage'), h('a', { href: '#/list/model' }, 'Models'), h('a', { href: '#/list/source' }, 'Sources'), h('a', { href: '#/list/test' }, 'Tests')),
    h('div', { class: 'search' }, input, list),
  );
}

function search(q: string): number[] {
  const s = q.trim().toLowerCase();
  if (!s) return [];
  const exact: number[] = [];
  const prefix: number[] = [];
  const inner: number[] = [];
  for (let i = 0; i < N && exact.length + prefix.length + inner.length < 400; i++) {
    const n = lowerNames[i]!;
    if (n === s) exact.push(i);
    else if (n.startsWith(s)) prefix.push(i);
    else if (n.includes(s)) inner.push(i);
  }
  const rank = (a: number, b: number) => lowerNames[a]!.length - lowerNames[b]!.length;
  return [...exact, ...prefix.sort(rank), ...inner.sort(rank)].slice(0, 20);
}

// ------------------------------------------------------------------ pages
function overview(): void {
  const o = idx.overview;
  const cards = ['model', 'source', 'seed', 'test', 'export']
    .filter((t) => o.counts[t])
    .map((t) =>
      h(
        'div',
        { class: 'card', 'data-card': t },
        h('h3', null, `${t}s`),
        h('div', { class: 'big' }, h('a', { href: `#/list/${t}` }, String(o.counts[t]))),
        h('div', null, Object.entries(o.statusCounts[t] ?? {}).map(([s, c]) => [statusPill(s), ` ${c}  `])),
      ),
    );
  const tests = o.statusCounts.test ?? {};
  const testLine = o.counts.test
    ? h(
        'p',
        { id: 'test-summary' },
        `Tests: ${tests.pass ?? 0} passed, ${tests.fail ?? 0} failed, ${tests.warn ?? 0} warned, ${tests.error ?? 0} errored, ${tests['not run'] ?? 0} not run.`,
      )
    : null;
  main.append(
    h('h1', null, idx.meta.project),
    h(
      'p',
      { class: 'muted' },
      `Docs generated ${ago(idx.meta.generated_at)} · manifest ${ago(idx.meta.manifest_generated_at)}` +
        (idx.meta.run_results_generated_at ? ` · last \`tx ${idx.meta.run_command ?? 'run'}\` ${ago(idx.meta.run_results_generated_at)} (${secs(idx.meta.run_elapsed)})` : ' · no run results') +
        (idx.meta.target ? ` · target ${idx.meta.target}` : '') +
        (idx.meta.catalog_generated_at ? ` · catalog ${ago(idx.meta.catalog_generated_at)}` : ' · no catalog'),
    ),
    ...warnings(),
    h('div', { class: 'cards' }, cards),
    testLine ?? '',
    h('p', null, h('a', { href: '#/graph' }, 'Open the lineage graph'), ` (${N} nodes, layout by ${idx.meta.layout.engine} in ${idx.meta.layout.ms} ms)`),
  );
  main.append(h('h2', null, 'Needs attention'));
  if (!o.problems.length) main.append(h('p', { class: 'muted', id: 'problems' }, idx.meta.run_results_generated_at ? 'Nothing failed in the last run.' : 'No run results yet.'));
  else
    main.append(
      h(
        'table',
        { id: 'problems' },
        h('tr', null, h('th', null, 'Node'), h('th', null, 'Type'), h('th', null, 'Status'), h('th', null, 'Message')),
        o.problems.slice(0, 200).map((p) => h('tr', null, h('td', null, nodeLink(p.node)), h('td', null, typeTag(idx.nodes.type[p.node]!)), h('td', null, statusPill(p.status)), h('td', null, p.message))),
      ),
    );
  main.append(h('h2', null, 'Source freshness'));
  if (!o.freshness.length) main.append(h('p', { class: 'muted' }, 'No sources.'));
  else
    main.append(
      h(
        'table',
        { id: 'freshness' },
        h('tr', null, h('th', null, 'Source'), h('th', null, 'Freshness'), h('th', null, 'Newest data'), h('th', null, 'Landed by tx'), h('th', null, 'Rows'), h('th', null, 'Rule')),
        o.freshness.map((f) =>
          h(
            'tr',
            null,
            h('td', null, nodeLink(f.node)),
            h('td', null, statusPill(f.status === 'unknown' ? (f.rule ? 'unknown' : 'no rule') : f.status)),
            h('td', null, f.max_loaded_at ? `${ago(f.max_loaded_at)} (${f.max_loaded_at})` : '—'),
            h('td', null, f.loaded_at ? ago(f.loaded_at) : 'not loaded'),
            h('td', null, f.rows == null ? '—' : f.rows.toLocaleString()),
            h('td', null, f.rule ?? '—'),
          ),
        ),
      ),
    );
  if (o.slowest.length) {
    main.append(
      h('h2', null, 'Slowest nodes'),
      h(
        'table',
        null,
        h('tr', null, h('th', null, 'Node'), h('th', null, 'Type'), h('th', null, 'Duration')),
        o.slowest.map((s) => h('tr', null, h('td', null, nodeLink(s.node)), h('td', null, typeTag(idx.nodes.type[s.node]!)), h('td', null, secs(s.time)))),
      ),
    );
  }
}

function listPage(type: string, page: number): void {
  const all: number[] = [];
  for (let i = 0; i < N; i++) if (idx.nodes.type[i] === type) all.push(i);
  all.sort((a, b) => (idx.nodes.name[a]! < idx.nodes.name[b]! ? -1 : 1));
  const per = 500;
  const pages = Math.max(1, Math.ceil(all.length / per));
  const p = Math.min(Math.max(0, page), pages - 1);
  main.append(
    h('h1', null, `${type}s (${all.length})`),
    h(
      'table',
      null,
      h('tr', null, h('th', null, 'Name'), h('th', null, 'Path'), h('th', null, 'Status'), h('th', null, 'Duration')),
      all.slice(p * per, (p + 1) * per).map((i) => h('tr', null, h('td', null, nodeLink(i)), h('td', { class: 'mono' }, idx.nodes.path[i]!), h('td', null, statusPill(idx.nodes.status[i])), h('td', null, secs(idx.nodes.time[i])))),
    ),
    pages > 1 ? h('p', null, Array.from({ length: pages }, (_, k) => [k === p ? h('b', null, String(k + 1)) : h('a', { href: `#/list/${type}/${k}` }, String(k + 1)), ' '])) : '',
  );
}

function lineageCell(c: SiteNode['columns'][number]): HTMLElement {
  const td = h('td', { class: 'lin', 'data-lineage': c.name });
  if (!c.lineage) return td;
  const l = c.lineage;
  if (l.depends_on.length) {
    l.depends_on.forEach((d, k) => {
      if (k) td.append(', ');
      const label = `${d.node >= 0 ? idx.nodes.name[d.node] : d.id ?? '?'}.${d.column}`;
      td.append(d.node >= 0 ? h('a', { href: nodeHref(d.node), class: 'upcol' }, label) : h('span', { class: 'upcol' }, label));
    });
    td.append(h('span', { class: 'muted' }, ` (${l.transform === 'identity' ? 'copied' : 'computed'})`));
  } else if (!l.untraced) td.append(h('span', { class: 'muted' }, l.transform === 'constant' ? 'a constant' : 'computed from no column'));
  if (l.untraced) td.append(h('div', { class: 'untraced' }, `cannot be traced${l.depends_on.length ? ' fully' : ''}: ${l.untraced}`));
  return td;
}

async function nodePage(i: number): Promise<void> {
  main.append(h('p', { class: 'muted' }, 'Loading…'));
  let n: SiteNode;
  try {
    n = await loadNode(i);
  } catch (e) {
    clear(main);
    main.append(h('div', { class: 'banner error' }, (e as Error).message));
    return;
  }
  clear(main);
  const name = n.name;
  main.append(
    h('div', null, typeTag(n.type), ' ', statusPill(n.run?.status ?? null)),
    h('h1', { id: 'node-name' }, name),
    ...warnings(),
    h(
      'p',
      null,
      'Lineage: ',
      h('a', { href: graphHref(`+${name}+`, `&focus=${encodeURIComponent(n.id)}`) }, `+${name}+`),
      ' · ',
      h('a', { href: graphHref(`1+${name}+1`, `&focus=${encodeURIComponent(n.id)}`) }, 'depth 1'),
      ' · ',
      h('a', { href: graphHref(`2+${name}+2`, `&focus=${encodeURIComponent(n.id)}`) }, 'depth 2'),
    ),
  );
  if (n.description_html) main.append(trustedHtml(n.description_html));
  else main.append(h('p', { class: 'muted' }, 'No description.'));

  const kv = h('dl', { class: 'kv', id: 'node-facts' });
  const fact = (k: string, v: Node | string | null | undefined) => {
    if (v === null || v === undefined || v === '') return;
    kv.append(h('dt', null, k), h('dd', null, v));
  };
  fact('Unique id', h('span', { class: 'mono' }, n.id));
  fact('Path', h('span', { class: 'mono' }, n.path));
  fact('Relation', n.relation ? h('span', { class: 'mono' }, n.relation) : null);
  fact('Materialization', n.materialized);
  fact('Tags', n.tags.length ? n.tags.join(', ') : null);
  if (n.run) {
    fact('Last run', h('span', { id: 'last-run' }, statusPill(n.run.status), ` ${n.run.message}`));
    fact('Duration', secs(n.run.execution_time));
    if (n.run.rows != null) fact('Rows', n.run.rows.toLocaleString());
    if (n.run.failures != null) fact('Failures', String(n.run.failures));
    fact('Finished', n.run.completed_at ? `${n.run.completed_at} (${ago(n.run.completed_at)})` : null);
  } else fact('Last run', h('span', { id: 'last-run' }, statusPill(null), idx.meta.run_results_generated_at ? ' not in the last run' : ' no run results'));
  if (n.source) {
    fact('Source', n.source.source_name);
    fact('Location', n.source.location ? h('span', { class: 'mono' }, `${n.source.location}${n.source.format ? ` (${n.source.format})` : ''}`) : null);
    fact('Loaded at field', n.source.loaded_at_field);
    const f = n.source.freshness;
    if (f) fact('Freshness', h('span', null, statusPill(f.status === 'unknown' ? (f.rule ? 'unknown' : 'no rule') : f.status), ` ${f.rule ?? ''} ${f.max_loaded_at ? `· newest ${f.max_loaded_at}` : ''}`));
  }
  if (n.test) {
    fact('Test', `${n.test.test_name ?? 'singular test'} (${n.test.kind})`);
    fact('Tests', n.test.attached >= 0 ? nodeLink(n.test.attached) : null);
    fact('Column', n.test.column);
    fact('Arguments', Object.keys(n.test.kwargs).length ? h('span', { class: 'mono' }, JSON.stringify(n.test.kwargs)) : null);
    fact('Severity', n.test.severity);
  }
  if (n.export) {
    fact('Model', nodeLink(n.export.model));
    fact('Destination', h('span', { class: 'mono' }, n.export.to));
    fact('Format', n.export.format);
    fact('Compression', n.export.compression);
    if (Object.keys(n.export.options).length) fact('Options', h('span', { class: 'mono' }, JSON.stringify(n.export.options)));
  }
  main.append(kv);
  if (n.source?.source_description_html) main.append(h('h2', null, `Source ${n.source.source_name}`), trustedHtml(n.source.source_description_html));

  const rel = (title: string, list: number[], id: string) =>
    h(
      'div',
      null,
      h('h2', null, `${title} (${list.length})`),
      list.length
        ? h('ul', { class: 'plain', id }, list.slice(0, 500).map((j) => h('li', null, typeTag(idx.nodes.type[j]!), ' ', nodeLink(j), ' ', statusPill(idx.nodes.status[j])))) 
        : h('p', { class: 'muted', id }, 'None.'),
      list.length > 500 ? h('p', { class: 'muted' }, `and ${list.length - 500} more`) : '',
    );
  main.append(h('div', { class: 'two' }, rel('Depends on', n.depends_on, 'depends-on'), rel('Referenced by', n.referenced_by.filter((j) => idx.nodes.type[j] !== 'test'), 'referenced-by')));

  if (n.tests.length) {
    main.append(
      h('h2', null, `Tests (${n.tests.length})`),
      h(
        'table',
        { id: 'tests' },
        h('tr', null, h('th', null, 'Test'), h('th', null, 'Column'), h('th', null, 'Status')),
        n.tests.map((t) => h('tr', { 'data-test': idx.nodes.name[t.node]! }, h('td', null, nodeLink(t.node)), h('td', null, t.column ?? '—'), h('td', null, statusPill(t.status)))),
      ),
    );
  }
  if (n.exports.length) {
    main.append(h('h2', null, 'Exports'), h('ul', { class: 'plain' }, n.exports.map((x) => h('li', null, nodeLink(x.node), ' ', x.format ?? '', ' ', statusPill(idx.nodes.status[x.node])))));
  }
  if (n.columns.length) {
    const isModel = n.type === 'model';
    main.append(h('h2', null, `Columns (${n.columns.length})`));
    if (n.lineage_note) main.append(h('div', { class: 'banner' }, `Column lineage: ${n.lineage_note}`));
    main.append(
      h(
        'table',
        { id: 'columns' },
        h('tr', null, h('th', null, 'Column'), h('th', null, 'Type'), h('th', null, 'Description'), h('th', null, 'Tests'), isModel ? h('th', null, 'Upstream columns') : null, h('th', null, 'Used by')),
        n.columns.map((c) =>
          h(
            'tr',
            { 'data-column': c.name },
            h('td', { class: 'mono' }, c.name, c.declared ? '' : h('span', { class: 'muted', title: 'not in a properties file' }, ' *')),
            h('td', { class: 'mono' }, c.type ?? '—'),
            h('td', null, c.description_html ? trustedHtml(c.description_html) : ''),
            h('td', null, c.tests.map((t) => h('div', null, h('a', { href: nodeHref(t.node) }, t.name), ' ', statusPill(t.status)))),
            isModel ? lineageCell(c) : null,
            h(
              'td',
              { class: 'lin' },
              c.used_by.slice(0, 30).map((u, k) => [k ? ', ' : '', h('a', { href: nodeHref(u.node) }, `${idx.nodes.name[u.node]}.${u.column}`)]),
              c.used_by.length > 30 ? ` and ${c.used_by.length - 30} more` : '',
            ),
          ),
        ),
      ),
    );
  }
  if (n.compiled_sql || n.raw_sql) {
    const box = h('div', { id: 'sql' });
    const tabs = h('div', { class: 'tabs', role: 'tablist' });
    const show = (which: 'compiled' | 'raw') => {
      clear(box);
      const text = which === 'compiled' ? n.compiled_sql : n.raw_sql;
      box.append(text ? highlightSql(text) : h('p', { class: 'muted' }, 'None.'));
      box.setAttribute('data-showing', which);
      tabs.querySelectorAll('button').forEach((b) => b.classList.toggle('on', b.getAttribute('data-tab') === which));
    };
    tabs.append(
      h('button', { 'data-tab': 'compiled', role: 'tab', onclick: () => show('compiled') }, 'Compiled SQL'),
      h('button', { 'data-tab': 'raw', role: 'tab', onclick: () => show('raw') }, 'Source SQL'),
    );
    main.append(h('h2', null, 'SQL'), tabs, box);
    show(n.compiled_sql ? 'compiled' : 'raw');
  }
}

// ------------------------------------------------------------------ the graph page
function graphPage(params: URLSearchParams): void {
  main.className = 'full';
  const select = params.get('select') ?? '';
  const exclude = params.get('exclude') ?? '';
  const showTests = params.get('tests') === '1';
  const focusId = params.get('focus');
  const wrap = h('div', { class: 'graph-wrap' });
  const selIn = h('input', { type: 'text', value: select, placeholder: 'select, e.g. +city_report+ or tag:report', 'aria-label': 'select', id: 'g-select' }) as HTMLInputElement;
  const exIn = h('input', { type: 'text', value: exclude, placeholder: 'exclude', 'aria-label': 'exclude', id: 'g-exclude' }) as HTMLInputElement;
  const testsIn = h('input', { type: 'checkbox', id: 'g-tests' }) as HTMLInputElement;
  testsIn.checked = showTests;
  const apply = () => {
    const q = new URLSearchParams();
    if (selIn.value.trim()) q.set('select', selIn.value.trim());
    if (exIn.value.trim()) q.set('exclude', exIn.value.trim());
    if (testsIn.checked) q.set('tests', '1');
    location.hash = `#/graph?${q.toString()}`;
  };
  for (const el of [selIn, exIn]) el.addEventListener('keydown', (e) => e.key === 'Enter' && apply());
  testsIn.addEventListener('change', apply);
  const info = h('span', { class: 'muted', id: 'g-info' });
  const legend = h(
    'span',
    { class: 'legend' },
    Object.entries(TYPE_COLOURS).map(([t, [c]]) => h('span', null, colourDot(c), t)),
    ' | border: ',
    ['success', 'error', 'warn', 'skipped'].map((s) => h('span', null, colourDot(STATUS_COLOURS[s]!), s)),
  );
  const fitBtn = h('button', { type: 'button' }, 'Fit');
  const zin = h('button', { type: 'button', 'aria-label': 'zoom in' }, '+');
  const zout = h('button', { type: 'button', 'aria-label': 'zoom out' }, '−');
  wrap.append(
    h('div', { class: 'graph-bar' }, selIn, exIn, h('button', { type: 'button', onclick: apply }, 'Apply'), h('label', null, testsIn, ' tests'), fitBtn, zin, zout, info, legend),
  );
  main.append(wrap);

  let subset: Set<number>;
  try {
    subset = selectIndexes(select ? [select] : undefined, exclude ? [exclude] : undefined);
  } catch (e) {
    info.className = 'err';
    info.textContent = selectionErrorText(e);
    return;
  }
  const explicitTests = /resource_type:test|test_type:|test_name:/.test(select);
  const nodes = [...subset].filter((i) => showTests || explicitTests || idx.nodes.type[i] !== 'test').sort((a, b) => a - b);
  const local = new Map(nodes.map((g, l) => [g, l]));
  const edges: number[] = [];
  for (let k = 0; k < idx.edges.length; k += 2) {
    const a = local.get(idx.edges[k]!);
    const b = local.get(idx.edges[k + 1]!);
    if (a !== undefined && b !== undefined) edges.push(a, b);
  }
  const whole = nodes.length > 0 && nodes.every((g) => idx.nodes.x[g] !== null && idx.nodes.x[g] !== undefined) && !select && !exclude && !showTests;
  let xs: ArrayLike<number>;
  let ys: ArrayLike<number>;
  let how: string;
  if (whole) {
    xs = nodes.map((g) => idx.nodes.x[g]!);
    ys = nodes.map((g) => idx.nodes.y[g]!);
    how = `precomputed ${idx.meta.layout.engine} layout`;
  } else {
    const pairs: [number, number][] = [];
    for (let k = 0; k < edges.length; k += 2) pairs.push([edges[k]!, edges[k + 1]!]);
    const r = layoutGraph({ n: nodes.length, edges: pairs, groupKey: (l) => idx.nodes.path[nodes[l]!]! + idx.nodes.name[nodes[l]!]! });
    xs = r.x;
    ys = r.y;
    how = `${r.engine} layout in ${Math.round(r.ms)} ms`;
  }
  const focusG = focusId ? byId.get(focusId) : undefined;
  const model: GraphModel = {
    global: nodes,
    name: nodes.map((g) => idx.nodes.name[g]!),
    type: nodes.map((g) => idx.nodes.type[g]!),
    status: nodes.map((g) => idx.nodes.status[g] ?? null),
    x: xs,
    y: ys,
    edges,
    focus: focusG !== undefined && local.has(focusG) ? new Set([local.get(focusG)!]) : undefined,
  };
  info.textContent = `${nodes.length} nodes, ${edges.length / 2} edges · ${how} · drag to pan, wheel to zoom, click to open`;
  const gv = new GraphView(wrap, model, (g) => (location.hash = nodeHref(g)));
  fitBtn.addEventListener('click', () => gv.fit());
  zin.addEventListener('click', () => gv.zoom(1.4));
  zout.addEventListener('click', () => gv.zoom(1 / 1.4));
  // an accessible list of the nodes shown (also what keyboard users can tab through)
  if (nodes.length <= 1000) {
    wrap.append(h('ul', { class: 'sr-only', id: 'graph-nodes', 'aria-label': 'nodes in the graph' }, nodes.map((g) => h('li', { 'data-node': idx.nodes.id[g]! }, h('a', { href: nodeHref(g) }, idx.nodes.name[g]!)))));
  }
  gv.draw();
  currentView = { destroy: () => gv.destroy() };
  w.__txDebug = { graph: gv };
}

function colourDot(c: string): HTMLElement {
  const i = h('i');
  i.style.background = c;
  return i;
}

// ------------------------------------------------------------------ router
function route(): void {
  currentView?.destroy?.();
  currentView = null;
  clear(main);
  main.className = '';
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  const parts = path!.split('/').filter(Boolean);
  try {
    if (!parts.length) overview();
    else if (parts[0] === 'graph') graphPage(new URLSearchParams(query ?? ''));
    else if (parts[0] === 'list') listPage(parts[1] ?? 'model', Number(parts[2] ?? 0));
    else if (parts[0] === 'node') {
      const id = decodeURIComponent(parts.slice(1).join('/'));
      const i = byId.get(id);
      if (i === undefined) main.append(h('h1', null, 'Not found'), h('div', { class: 'banner error' }, `No node ${id} in these docs. It may have been renamed or removed; search by name above.`));
      else void nodePage(i);
    } else main.append(h('h1', null, 'Not found'), h('p', null, h('a', { href: '#/' }, 'Overview')));
  } catch (e) {
    main.append(h('div', { class: 'banner error' }, `Something went wrong: ${(e as Error).message}`));
  }
  window.scrollTo(0, 0);
}

clear(app);
app.append(header(), main);
window.addEventListener('hashchange', route);
route();
w.__txReady = performance.now();
document.documentElement.setAttribute('data-ready', '1');
