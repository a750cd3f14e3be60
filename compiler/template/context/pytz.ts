export function pytzModule(): Record<string, unknown> { return {}; }
