// Dashboard pages (placeholder: filled in by the dashboard work).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';

export default async function dashboardPlugin(app: FastifyInstance, _opts: { ctx: AppContext }): Promise<void> {
  void app;
}
