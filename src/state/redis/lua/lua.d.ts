/** A Lua script's text: bundled as a string (rolldown's `moduleTypes` in scripts/build.mjs; a plugin in vitest.config.ts). */
declare module '*.lua' {
  const source: string;
  export default source;
}
