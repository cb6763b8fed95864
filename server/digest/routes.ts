// GET /api/digest/:week (placeholder: filled in by the digest work).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';

export default async function digestRoutes(app: FastifyInstance, _opts: { ctx: AppContext }): Promise<void> {
  void app;
}
