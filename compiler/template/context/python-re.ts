export function reModule(): Record<string, unknown> { return {}; }
