// The order eslint-plugin-simple-import-sort enforces, so text the generators insert passes
// `simple-import-sort/imports` and `/exports` without a fix-up run.
const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

function compare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The plugin's sort key for a module path: `.` and `/` before other punctuation, `../` after `../../`. */
function sourceKey(source: string): string {
  const swap: Record<string, string> = { '.': '_', '/': '-', _: '.', '-': '/' };
  return source
    .replace(/^[./]*\.$/, '$&/')
    .replace(/^[./]*\/$/, '$&,')
    .replace(/[./_-]/g, (char) => swap[char]);
}

/** Compares two module paths (`from '...'`) as the plugin orders import and export statements. */
export function compareSources(a: string, b: string): number {
  return compare(sourceKey(a), sourceKey(b)) || compare(a, b);
}

/** Compares two imported or exported names as the plugin orders `{ a, b }` specifiers. */
export function compareSpecifiers(a: string, b: string): number {
  return compare(a, b);
}
