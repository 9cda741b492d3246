// Summarises a V8 .cpuprofile (from `node --cpu-prof`) by where the CPU went:
//   - self time by module: node_modules/<package>, node:<core module>, the app bundle, V8 natives, GC
//   - self time charged to the nearest package on the stack ("by caller"): node core and V8 builtins
//     (socket writes, JSON.stringify, regexps) count against the package that called them
//   - inclusive time by package (time with the package anywhere on the stack)
//   - the top functions by self time
// Percentages are of busy time (samples that are not "(idle)"). With --requests N the table also shows
// microseconds per request, which is what compares across servers.
//
//   node bench/summarise-profile.mjs <file.cpuprofile> [--top 15] [--requests N] [--cpu-ms MS]
//                                    [--from-us T --to-us T] [--json]
//
// --from-us/--to-us keep only samples in that window of the monotonic clock (process.hrtime, in µs), which
// is the clock V8 stamps profiles with; bench/product-get.mjs passes the measured window so start-up and
// warm-up are left out.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const SPECIAL = new Set(['(garbage collector)', '(idle)', '(program)', '(root)']);

/** The module a call frame belongs to, and whether it is "own code" (a package, the app, a script). */
export function moduleOf(callFrame) {
  const { url, functionName } = callFrame;
  if (!url) {
    if (SPECIAL.has(functionName)) return { name: functionName, own: false };
    return { name: '(v8 builtins / native)', own: false };
  }
  if (url.startsWith('node:')) {
    const path = url.slice('node:'.length).replace(/\.js$/, '');
    const parts = path.split('/');
    return { name: `node:${parts[0] === 'internal' ? parts.slice(0, 2).join('/') : parts[0]}`, own: false };
  }
  let path = url;
  if (path.startsWith('file://')) {
    try {
      path = fileURLToPath(path);
    } catch {
      // keep the URL as it is
    }
  }
  const marker = '/node_modules/';
  const at = path.lastIndexOf(marker);
  if (at !== -1) {
    const parts = path.slice(at + marker.length).split('/');
    return { name: parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0], own: true };
  }
  const app = /\/dist\/apps\/([^/]+)\/main\.js$/.exec(path);
  if (app) return { name: `app bundle (dist/apps/${app[1]}/main.js)`, own: true };
  const rel = path.startsWith('/') ? relative(process.cwd(), path) : path;
  return { name: rel, own: true };
}

/**
 * Aggregates a parsed .cpuprofile. Each sample lasts until the next one (the last, the mean interval).
 * Returns times in ms.
 */
export function summariseProfile(profile, { fromUs, toUs } = {}) {
  const nodes = new Map();
  for (const node of profile.nodes) nodes.set(node.id, { ...node, parent: undefined });
  for (const node of profile.nodes)
    for (const child of node.children ?? []) nodes.get(child).parent = node.id;
  const moduleCache = new Map();
  const modOf = (node) => {
    let mod = moduleCache.get(node.id);
    if (!mod) {
      mod = moduleOf(node.callFrame);
      moduleCache.set(node.id, mod);
    }
    return mod;
  };

  const { samples, timeDeltas } = profile;
  const meanInterval = (profile.endTime - profile.startTime) / Math.max(1, samples.length);
  const selfByModule = new Map();
  const chargedByModule = new Map();
  const inclusiveByModule = new Map();
  const selfByFunction = new Map();
  const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
  let busyUs = 0;
  let idleUs = 0;
  let windowStart = Infinity;
  let windowEnd = -Infinity;

  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    const us = i + 1 < samples.length ? (timeDeltas[i + 1] ?? 0) : meanInterval;
    if (fromUs !== undefined && at < fromUs) continue;
    if (toUs !== undefined && at > toUs) continue;
    windowStart = Math.min(windowStart, at);
    windowEnd = Math.max(windowEnd, at + us);
    const leaf = nodes.get(samples[i]);
    const leafModule = modOf(leaf);
    if (leafModule.name === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    add(selfByModule, leafModule.name, us);
    const { functionName, lineNumber } = leaf.callFrame;
    add(selfByFunction, `${functionName || '(anonymous)'}  [${leafModule.name}:${lineNumber + 1}]`, us);

    let charged;
    const onStack = new Set();
    for (let node = leaf; node; node = node.parent === undefined ? undefined : nodes.get(node.parent)) {
      const mod = modOf(node);
      if (mod.own) {
        onStack.add(mod.name);
        charged ??= mod.name;
      }
    }
    if (!charged)
      charged = SPECIAL.has(leafModule.name) ? leafModule.name : `${leafModule.name} (no package on stack)`;
    add(chargedByModule, charged, us);
    for (const name of onStack) add(inclusiveByModule, name, us);
  }

  const rows = (map) =>
    [...map.entries()]
      .map(([name, us]) => ({ name, ms: us / 1000, pct: busyUs > 0 ? (100 * us) / busyUs : 0 }))
      .sort((a, b) => b.ms - a.ms);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    windowMs: Number.isFinite(windowStart) ? (windowEnd - windowStart) / 1000 : 0,
    selfByModule: rows(selfByModule),
    chargedByModule: rows(chargedByModule),
    inclusiveByModule: rows(inclusiveByModule),
    selfByFunction: rows(selfByFunction),
  };
}

/**
 * Plain-text tables of a summary. `requests` (in the same window) adds a µs/request column. V8 samples on
 * a wall-clock timer, so on a busy machine time the thread spends preempted counts as busy; pass
 * `cpuMs`, the process's CPU time in the window (from /proc or process.cpuUsage), to scale the columns to
 * real CPU time.
 */
export function formatSummary(summary, { top = 15, requests, title, cpuMs } = {}) {
  const perReq = requests > 0;
  const scale = cpuMs > 0 && summary.busyMs > 0 ? cpuMs / summary.busyMs : 1;
  const lines = [];
  if (title) lines.push(title);
  lines.push(
    `  busy ${summary.busyMs.toFixed(0)} ms of ${summary.windowMs.toFixed(0)} ms sampled` +
      ` (idle ${summary.idleMs.toFixed(0)} ms)` +
      (cpuMs > 0 ? `; process CPU ${cpuMs.toFixed(0)} ms, ms columns scaled by ${scale.toFixed(2)}` : '') +
      (perReq
        ? `; ${requests} requests => ${((summary.busyMs * scale * 1000) / requests).toFixed(1)} µs CPU per request`
        : ''),
  );
  const table = (heading, rows) => {
    lines.push('', `  ${heading}`);
    lines.push(`    ${'%'.padStart(6)} ${'ms'.padStart(8)}${perReq ? ` ${'µs/req'.padStart(7)}` : ''}  name`);
    for (const row of rows.slice(0, top)) {
      const ms = row.ms * scale;
      const cost = perReq ? ` ${((ms * 1000) / requests).toFixed(1).padStart(7)}` : '';
      lines.push(`    ${row.pct.toFixed(1).padStart(6)} ${ms.toFixed(0).padStart(8)}${cost}  ${row.name}`);
    }
  };
  table('self time by module', summary.selfByModule);
  table('self time charged to the nearest package on the stack', summary.chargedByModule);
  table('inclusive time by package (anywhere on the stack; overlaps)', summary.inclusiveByModule);
  table('top functions by self time', summary.selfByFunction);
  return lines.join('\n');
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '15' },
      requests: { type: 'string' },
      'cpu-ms': { type: 'string' },
      'from-us': { type: 'string' },
      'to-us': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) {
    process.stderr.write(
      'usage: node bench/summarise-profile.mjs <file.cpuprofile>... [--top 15] [--requests N] [--cpu-ms MS] [--from-us T --to-us T] [--json]\n',
    );
    process.exit(2);
  }
  const num = (value) => (value === undefined ? undefined : Number(value));
  for (const file of positionals) {
    const summary = summariseProfile(JSON.parse(readFileSync(file, 'utf8')), {
      fromUs: num(values['from-us']),
      toUs: num(values['to-us']),
    });
    if (values.json) process.stdout.write(`${JSON.stringify({ file, ...summary })}\n`);
    else
      process.stdout.write(
        `${formatSummary(summary, {
          top: Number(values.top),
          requests: num(values.requests),
          cpuMs: num(values['cpu-ms']),
          title: file,
        })}\n\n`,
      );
  }
}
