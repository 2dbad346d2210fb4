// The package ships no types; these are the few calls the reference evaluator (reference.ts), the lunar
// table's generator (lunar-table.gen.ts) and its test make.
declare module 'lunar-javascript' {
  interface LunarDate {
    getYear(): number;
    /** Negative for a leap month. */
    getMonth(): number;
    getDay(): number;
    getSolar(): SolarDate;
  }
  interface SolarDate {
    getYear(): number;
    getMonth(): number;
    getDay(): number;
    getLunar(): LunarDate;
  }
  export const Solar: { fromYmd(y: number, m: number, d: number): SolarDate };
  export const Lunar: { fromYmd(y: number, m: number, d: number): LunarDate };
  export const LunarMonth: {
    fromYm(y: number, m: number): { getDayCount(): number; getFirstJulianDay(): number } | null;
  };
  export const LunarYear: { fromYear(y: number): { getLeapMonth(): number } };
}
