import type { Case } from './corpus.js';
export function generatedCases(): Case[] {
  return [];
}
