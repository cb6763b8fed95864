// Worker entry: tsx's in-thread CommonJS hook compiles the TypeScript worker (see batch-worker-entry.cjs).
const { register } = require('tsx/cjs/api');
register();
require('./conclude-threads-worker.ts');
