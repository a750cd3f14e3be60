/** Seeded random datetimes, formats and zones for modules.datetime / modules.pytz. */
import { seededRandom } from '../../../../testing/seeded-random.js';

const r = seededRandom(42);
const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const D = 'modules.datetime.datetime';
const TD = 'modules.datetime.timedelta';
const DIRECTIVES = ['%a', '%A', '%b', '%B', '%c', '%d', '%f', '%H', '%I', '%j', '%m', '%M', '%p', '%S', '%U', '%w', '%W', '%x', '%X', '%y', '%Y', '%%', '%G', '%V', '%u', '%e', '%-d', '%-m', '%-H', '%-I', '%-M', '%-S', '%-j', '%_d', '%^a', '%z', '%Z', '%k', '%l', '%s'.replace('%s', '%D'), '%F', '%T', '%R', '%C', '%g', '%h', '%P'];
const ZONES = ['America/New_York', 'Europe/Amsterdam', 'Europe/London', 'Australia/Sydney', 'Asia/Kolkata', 'America/Los_Angeles', 'Europe/Berlin', 'America/Chicago', 'Asia/Tokyo', 'America/Sao_Paulo', 'Pacific/Auckland', 'Africa/Cairo'];

function dt(): string {
  const y = int(1, 9999) < 9000 ? int(1970, 2037) : int(1, 9999);
  const m = int(1, 12);
  const d = int(1, m === 2 ? 28 : 30);
  return `${D}(${y}, ${m}, ${d}, ${int(0, 23)}, ${int(0, 59)}, ${int(0, 59)}, ${r() < 0.5 ? 0 : int(0, 999999)})`;
}

const cases: string[] = [];
for (let i = 0; i < 120; i++) {
  const fmt = Array.from({ length: int(1, 5) }, () => pick(DIRECTIVES)).join(pick([' ', '-', '/', ':', '', 'T']));
  cases.push(`${dt()}.strftime('${fmt}')`);
}
for (let i = 0; i < 60; i++) {
  cases.push(`${dt()} + ${TD}(days=${int(-5000, 5000)}, seconds=${int(-100000, 100000)}, microseconds=${int(-1000000, 1000000)})`);
  cases.push(`${dt()} - ${dt()}`);
  cases.push(`str(${TD}(days=${int(-50, 50)}, hours=${(r() * 100 - 50).toFixed(3)}))`);
}
for (let i = 0; i < 60; i++) {
  const fmt = pick(['%Y-%m-%d %H:%M:%S', '%d/%m/%Y %I:%M:%S %p', '%Y%m%dT%H%M%S.%f', '%a %b %d %H:%M:%S %Y', '%j %Y %H', '%B %d, %Y']);
  cases.push(`${D}.strptime(${dt()}.strftime('${fmt}'), '${fmt}')`);
  cases.push(`${D}.fromisoformat(${dt()}.isoformat())`);
}
for (let i = 0; i < 120; i++) {
  const z = pick(ZONES);
  const y = int(1950, 2037);
  const wall = `${D}(${y}, ${int(1, 12)}, ${int(1, 28)}, ${int(0, 23)}, ${pick([0, 15, 30, 45])})`;
  cases.push(`modules.pytz.utc.localize(${wall}).astimezone(modules.pytz.timezone('${z}'))`);
  cases.push(`modules.pytz.timezone('${z}').localize(${wall})`);
}
for (let i = 0; i < 40; i++) {
  // around the usual DST switch days, hour by hour
  const z = pick(ZONES);
  const y = int(2000, 2030);
  const [m, d] = pick([[3, int(8, 31)], [10, int(1, 31)], [11, int(1, 7)], [4, int(1, 7)], [9, int(20, 30)]] as const);
  cases.push(`modules.pytz.timezone('${z}').localize(${D}(${y}, ${m}, ${d}, ${int(0, 4)}, 30), is_dst=${pick(['True', 'False'])})`);
  cases.push(`modules.pytz.utc.localize(${D}(${y}, ${m}, ${d}, ${int(0, 23)}, 30)).astimezone(modules.pytz.timezone('${z}')).strftime('%Y-%m-%d %H:%M %Z %z')`);
}

export const FUZZ_TIME_CASES: string[] = cases;
