// The text of pdf.js's worker, inlined by scripts/build-view.mjs.
declare module 'virtual:pdf-worker' {
  const source: string;
  export default source;
}
// Liberation Sans (Helvetica's metrics), base64, inlined by scripts/build-view.mjs.
declare module 'virtual:helvetica' {
  const base64: string;
  export default base64;
}
