// The package ships no types; these are the few calls the segment calendar makes.
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
  export const LunarMonth: { fromYm(y: number, m: number): { getDayCount(): number } | null };
  export const LunarYear: { fromYear(y: number): { getLeapMonth(): number } };
}
