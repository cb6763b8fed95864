// All SQL the server runs lives under server/queries/ (parameterised). The API routes, the digest and the
// dashboard read the database through these functions; lists take (db, filters, page) and answer
// `{ items, nextCursor }` in a stable order.
export { BadParam, parseDateParam, isDateParam, messageIdParam, DEFAULT_LIMIT, MAX_LIMIT, type Page, type PageRequest } from './common.ts';
export { listMessages, getMessage, getMessages, getRawMessage, toMboxrd, getThread, type MessageFilters } from './messages.ts';
export { listPatches, getPatch, getPatchDiff, patchTrailers, listSeries, getSeries, type PatchFilters, type SeriesFilters } from './patches.ts';
export {
  listCallChanges, listOrderChanges, listFixes, getFix, findDeclaredFix, listRegressions, getRegression, regressionKey, messageRef,
  type CallChangeFilters, type OrderChangeFilters, type FixFilters, type RegressionFilters,
} from './detection.ts';
export { listEvents, listQuarantine, getQuarantined, getQuarantineRaw, health, type EventFilters } from './events.ts';
