// The API's schemas as fastify sees them: the `date-or-time` format ajv checks `since`/`until` with, the shared
// schemas (server/schemas/) added by $id, and the OpenAPI 3.1 document with its UI (/docs, /docs/json).
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Ajv } from 'ajv';
import { sharedSchemas } from '../schemas/index.ts';
import { isDateParam } from '../data/index.ts';

/** Hash of the inline <style> element swagger-ui's bundle adds (allowed by hash, not by 'unsafe-inline'). */
const SWAGGER_UI_STYLE = 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w=';

/** An ajv plugin: `format: 'date-or-time'`, what `since` and `until` take (YYYY-MM-DD or an ISO 8601 date-time). */
export function addDateFormat(ajv: Ajv): Ajv {
  return ajv.addFormat('date-or-time', { type: 'string', validate: isDateParam });
}

/** The shared schemas, then the OpenAPI document and its UI (register before the routes it documents). */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  for (const s of sharedSchemas) app.addSchema(s);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'relapse',
        version: '0.1.0',
        description: 'Kexec mailing-list archive and the day a patch undoes a known fix. Message-IDs are written without ' +
          'angle brackets and URL-encoded in paths. Lists answer `{items, nextCursor}`; pass `nextCursor` back as `cursor`. ' +
          'Dates are ISO 8601 UTC; `since` is inclusive, `until` exclusive (a bare date includes that day). ' +
          'Writes need `Authorization: Bearer <token>`.',
      },
      tags: [
        { name: 'health' }, { name: 'messages' }, { name: 'patches' }, { name: 'detection' }, { name: 'events' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // the plugin's CSP for the UI, less the HTTPS upgrade, plus the one <style> swagger-ui's bundle injects
    transformStaticCSP: (header) =>
      header.replace(/\s*upgrade-insecure-requests;?/, '').replace(/style-src 'self' https:\s*/, `style-src 'self' '${SWAGGER_UI_STYLE}' `),
    uiConfig: { deepLinking: true, validatorUrl: null } as Record<string, unknown>,
  });
}
