// GET /api/digest/:week      the week's digest as JSON (the data the mail is made of, plus subject)
// GET /api/digest/:week.eml  the digest as an RFC 5322 message (message/rfc822)
// `?for=ADDR` narrows it to a configured recipient's file patterns. A malformed week is a 400 (through the error
// handler, as every route's).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import type {} from '@fastify/swagger'; // schema.tags / summary / description
import { parseIsoWeek, type IsoWeek } from './iso-week.ts';
import { composeDigest, filterForRecipient, isEmptyDigest } from './compose.ts';
import { buildMessage } from './mime.ts';
import { gatherWeek } from '../data/digest-week.ts';
import { badRequest } from '../plugins/errors.ts';

export default async function digestRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get<{ Params: { week: string }; Querystring: { for?: string } }>('/api/digest/:week', {
    schema: {
      tags: ['digest'],
      summary: 'The weekly digest of an ISO week (append .eml for the mail message)',
      description:
        'New regressions of the week with the fix each removes, the removing messages and the removed lines; regressions ' +
        'still open from earlier weeks; resolved and acknowledged ones; fixes that became known; series that touched watched ' +
        'code. `:week` is an ISO week such as 2010-W13; `2010-W13.eml` answers the same digest as message/rfc822. ' +
        '`for` narrows it to a configured recipient\'s file patterns.',
      params: { type: 'object', properties: { week: { type: 'string', description: 'ISO week, e.g. 2010-W13, optionally with .eml' } } },
      querystring: { type: 'object', properties: { for: { type: 'string', description: 'a configured recipient address' } } },
    },
  }, async (req, reply) => {
    let raw = req.params.week;
    const eml = /\.eml$/i.test(raw);
    if (eml) raw = raw.slice(0, -4);
    let week: IsoWeek;
    try {
      week = parseIsoWeek(raw);
    } catch (e) {
      throw badRequest('week', (e as Error).message);
    }
    let data = gatherWeek(ctx.db, week, ctx.settings.digest.list, ctx.settings.inboxes);
    let to: string[] = [];
    if (req.query.for) {
      const want = req.query.for.trim().toLowerCase();
      const r = ctx.settings.digest.recipients.find((x) => x.email.trim().toLowerCase() === want);
      if (!r) throw badRequest('for', `${req.query.for} is not a configured digest recipient`);
      data = filterForRecipient(data, r);
      to = [r.email];
    }
    const composed = composeDigest(data);
    if (eml) {
      const msg = await buildMessage(composed, { from: ctx.settings.digest.from, to, week: week.label });
      return reply
        .type('message/rfc822')
        .header('content-disposition', `inline; filename="relapse-digest-${week.label}.eml"`)
        .send(msg.raw);
    }
    return reply.send({ subject: composed.subject, empty: isEmptyDigest(data), ...data });
  });
}
