// The API's reads (messages, patches, series, detection, events): lists take (db, filters, page) and answer
// `{ items, nextCursor }` in a stable order. All SQL the server runs lives in server/data/ (parameterised): these,
// the dashboard's own reads (dashboard.ts), the digest's week (digest-week.ts) and delivery ledger (digests.ts),
// and the database version a response cache keys on (version.ts).
export { parseDateParam, isDateParam, messageIdParam, DEFAULT_LIMIT, MAX_LIMIT, type Page, type PageRequest } from './common.ts';
export { listMessages, getMessage, getMessages, getRawMessage, toMboxrd, getThread, type MessageFilters } from './messages.ts';
export { listPatches, getPatch, getPatchDiff, patchTrailers, listSeries, getSeries, type PatchFilters, type SeriesFilters } from './patches.ts';
export {
  listCallChanges, listOrderChanges, listFixes, getFix, findDeclaredFix, listRegressions, getRegression, regressionKey, messageRef,
  type CallChangeFilters, type OrderChangeFilters, type FixFilters, type RegressionFilters,
} from './detection.ts';
export { listEvents, listQuarantine, getQuarantined, getQuarantineRaw, health, type EventFilters } from './events.ts';
