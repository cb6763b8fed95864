// GET /api/messages, /api/messages/:messageId, .../raw, .../mbox
import { Binary, MessageIdParams, MessagePageSchema, MessageQuery, MessageSchema, ref } from '../schemas/index.ts';
import { getMessage, getRawMessage, listMessages, toMboxrd } from '../data/index.ts';
import { notFound } from '../plugins/errors.ts';
import { readErrors, type RoutePlugin } from './common.ts';

const text = (mime: string, description: string) => ({ description, content: { [mime]: { schema: Binary } } });

const messageRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get('/api/messages', {
    schema: {
      tags: ['messages'], summary: 'Messages in date order', querystring: MessageQuery,
      response: { 200: ref(MessagePageSchema), ...readErrors },
    },
  }, async (req) => {
    const { limit, cursor, ...filters } = req.query;
    return listMessages(ctx.db, filters, { limit, cursor });
  });

  app.get('/api/messages/:messageId', {
    schema: { tags: ['messages'], summary: 'One message', params: MessageIdParams, response: { 200: ref(MessageSchema), ...readErrors } },
  }, async (req) => {
    const m = getMessage(ctx.db, req.params.messageId);
    if (!m) throw notFound(`message ${req.params.messageId}`);
    return m;
  });

  app.get('/api/messages/:messageId/raw', {
    schema: {
      tags: ['messages'], summary: 'The message as archived, byte for byte', params: MessageIdParams,
      response: { 200: text('message/rfc822', 'the original bytes'), ...readErrors },
    },
  }, async (req, reply) => {
    const raw = getRawMessage(ctx.db, req.params.messageId);
    if (!raw) throw notFound(`message ${req.params.messageId}`);
    return reply.type('message/rfc822').send(raw);
  });

  app.get('/api/messages/:messageId/mbox', {
    schema: {
      tags: ['messages'], summary: 'The message as a one-message mboxrd file (for git am / b4)', params: MessageIdParams,
      response: { 200: text('application/mbox', 'mboxrd'), ...readErrors },
    },
  }, async (req, reply) => {
    const raw = getRawMessage(ctx.db, req.params.messageId);
    if (!raw) throw notFound(`message ${req.params.messageId}`);
    const name = req.params.messageId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
    return reply.type('application/mbox').header('content-disposition', `inline; filename="${name}.mbox"`).send(toMboxrd(raw));
  });
};
export default messageRoutes;
