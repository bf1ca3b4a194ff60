import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const dt = new Map(); for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
const byUrl = new Map(); const byFn = new Map();
for (const n of p.nodes) { const t = (dt.get(n.id) ?? 0) / 1000; const u = n.callFrame.url.split('/').slice(-2).join('/') || n.callFrame.functionName || '(native)'; byUrl.set(u, (byUrl.get(u) ?? 0) + t); const k = `${n.callFrame.functionName || '(anon)'} ${u}:${n.callFrame.lineNumber}`; byFn.set(k, (byFn.get(k) ?? 0) + t); }
console.log([...byUrl].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([u, t]) => `${t.toFixed(1)} ms ${u}`).join('\n'));
console.log('--');
console.log([...byFn].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([u, t]) => `${t.toFixed(1)} ms ${u}`).join('\n'));
