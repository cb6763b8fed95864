// The pieces every resource's schema is built from: TypeBox helpers (ref, StringEnum, Nullable, IsoDate, page),
// the shared shapes that are no resource of their own (Address, MessageRef, Error) and the request parameters
// routes share (paging, dates, ids, optional text filters).
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** A `$ref` to a registered schema that keeps the static type of the target. */
export const ref = <T extends TSchema & { $id?: string }>(schema: T) => Type.Unsafe<Static<T>>(Type.Ref(schema.$id!));

/** A string enum (`{type: 'string', enum: [...]}`): clearer validation messages and OpenAPI than a union of literals. */
export const StringEnum = <const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** `t` or null. */
export const Nullable = <T extends TSchema>(t: T, description?: string) =>
  Type.Union([t, Type.Null()], description ? { description } : {});

/** An ISO 8601 date-time string. */
export const IsoDate = (description: string) => Type.String({ format: 'date-time', description });

/** Bytes (raw messages, mbox files) in the OpenAPI document; the handler sends a Buffer. */
export const Binary = Type.Unsafe<Buffer | string>({ type: 'string', format: 'binary' });

export const AddressSchema = Type.Object(
  { name: Type.String(), email: Type.String() },
  { $id: 'Address', description: 'A person: display name (may be empty) and e-mail address' },
);
export type Address = Static<typeof AddressSchema>;

export const MessageRefSchema = Type.Object(
  {
    messageId: Type.String({ description: 'Message-ID without angle brackets' }),
    subject: Type.String(),
    date: Nullable(IsoDate('ISO 8601 UTC')),
  },
  { $id: 'MessageRef', description: 'A message named by id, with its subject and date' },
);
export type MessageRef = Static<typeof MessageRefSchema>;

export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String({ description: 'HTTP reason phrase' }),
    message: Type.String({ description: 'what was wrong, naming the parameter' }),
  },
  { $id: 'Error' },
);
export type ApiError = Static<typeof ErrorSchema>;

/** The schema of a page of `item`s (items + nextCursor), registered as `id`. */
export const page = <T extends TSchema>(item: T, id: string) =>
  Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Nullable(Type.String(), 'pass as `cursor` to get the next page; null on the last page'),
    },
    { $id: id },
  );

/** A page of a list, as every list route answers it (the static type of `page()`'s schemas). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `since` / `until`: a date (2010-03-01) or a date-time (2010-03-01T12:00:00Z); `until` of a bare date includes that day. */
export const DateParam = (what: string) =>
  Type.String({ format: 'date-or-time', maxLength: 40, description: `${what}: YYYY-MM-DD or an ISO 8601 date-time (UTC if no offset)` });

/** `limit` and `cursor`, spread into every list query. */
export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'page size, 1..500' }),
  cursor: Type.Optional(Type.String({ maxLength: 1024, description: 'opaque: the nextCursor of the previous page' })),
};

/** `:messageId` in a path. */
export const MessageIdParams = Type.Object({
  messageId: Type.String({ minLength: 1, maxLength: 998, description: 'Message-ID without angle brackets, URL-encoded' }),
});
/** `:id` in a path: a positive integer. */
export const IntIdParams = (what: string) => Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1, description: `${what} id` }) });

/** An optional text filter of 1..maxLength characters. */
export const text = (description: string, maxLength = 1024) => Type.Optional(Type.String({ minLength: 1, maxLength, description }));

/** An optional text filter of a nullable column: the literal `null` asks for rows without one. */
export const nullableText = (description: string) => text(`${description}; the literal \`null\` asks for the ones without one`, 256);
