/** Named laps in milliseconds, for debug logs of where a start or an exit spends its time. */
export function stopwatch(): { lap(name: string): void; laps: Record<string, number> } {
  let last = performance.now();
  const laps: Record<string, number> = {};
  return {
    laps,
    lap(name: string) {
      const now = performance.now();
      laps[name] = Math.round((now - last) * 10) / 10;
      last = now;
    },
  };
}
