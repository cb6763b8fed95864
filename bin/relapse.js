#!/usr/bin/env node
// Loads the TypeScript sources through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../server/cli.ts');
await main(process.argv);
