// Types of runtime-flags.js (plain JavaScript: relapse.js runs it before tsx is loaded).
export function v8FlagsFor(args: string[], cores?: number): string[];
