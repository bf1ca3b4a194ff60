// The text of pdf.js's worker, inlined by scripts/build-view.mjs.
declare module 'virtual:pdf-worker' {
  const source: string;
  export default source;
}
