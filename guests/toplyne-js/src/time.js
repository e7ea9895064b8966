// `dayjs(x).unix()` as the reference computes Toplyne's time fields (dayjs
// 1.10.7, TZ=UTC): numbers are epoch milliseconds; strings matching dayjs's
// own pattern (and not ending in `Z`) are wall-clock UTC with overflow; any
// other string goes to `new Date`. Anything unparseable becomes `null`, as
// `NaN` serialises.

const REGEX_PARSE = /^(\d{4})[-/]?(\d{1,2})?[-/]?(\d{0,2})[Tt\s]*(\d{1,2})?:?(\d{1,2})?:?(\d{1,2})?[.:]?(\d+)?$/;

function parseDate(date) {
  if (date === null) return NaN;
  if (typeof date === 'string' && !/Z$/i.test(date)) {
    const d = date.match(REGEX_PARSE);
    if (d) {
      const m = d[2] - 1 || 0;
      const ms = (d[7] || '0').substring(0, 3);
      return Date.UTC(d[1], m, d[3] || 1, d[4] || 0, d[5] || 0, d[6] || 0, ms);
    }
  }
  if (typeof date === 'object') return NaN;
  return new Date(date).valueOf();
}

export function unixSeconds(value) {
  const s = Math.floor(parseDate(value) / 1000);
  return Number.isFinite(s) ? s : null;
}
