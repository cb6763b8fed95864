// Worker entry: tsx's in-thread CommonJS hook compiles the TypeScript worker. Its ESM hook (tsx/esm/api) would
// start a loader thread of its own in every worker: about 0.5 s more to start a worker and 30 MB more memory each.
const { register } = require('tsx/cjs/api');
register();
require('./batch-worker.ts');
