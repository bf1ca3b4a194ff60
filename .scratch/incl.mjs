import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2]; const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const self = new Map(); for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const total = new Map();
const inc = (n) => { if (total.has(n.id)) return total.get(n.id); let t = self.get(n.id) ?? 0; for (const c of n.children ?? []) t += inc(byId.get(c)); total.set(n.id, t); return t; };
for (const n of p.nodes) inc(n);
const agg = new Map();
for (const n of p.nodes) { const u = n.callFrame.url.split('/').slice(-2).join('/'); if (!/cli\.js|http-|webhooks-/.test(u)) continue; const k = `${n.callFrame.functionName || '(anon)'} ${u}:${n.callFrame.lineNumber}`; agg.set(k, (agg.get(k) ?? 0) + total.get(n.id) / 1000); }
console.log([...agg].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, t]) => `${t.toFixed(0)} ms ${k}`).join('\n'));
