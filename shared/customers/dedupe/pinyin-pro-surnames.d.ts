// pinyin-pro's surname list, read by pinyin-table.gen.ts; the package ships no types for this path.
declare module 'pinyin-pro/dist/esm/data/surname.mjs' {
  const Surnames: Readonly<Record<string, string>>;
  export default Surnames;
}
