// The time stored with rows and events: ISO 8601, UTC.
export const now = () => new Date().toISOString();
