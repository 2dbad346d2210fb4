// The parser moved to shared/platform so the scoring planner can tell when a configured schedule is due.
export * from '../../shared/platform/schedule.ts';
