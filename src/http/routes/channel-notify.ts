import type { FastifyInstance } from 'fastify';
import { handleChannelNotification } from '../../services/channel-notifications.ts';
import type { Gateway } from '../../services/gateway.ts';

/** Channel notifications are small; anything larger is not from a channel. */
export const CHANNEL_NOTIFY_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Where channels POST their notifications. The body is kept as the exact string received (the
 * signature covers those bytes) and handed to the channel's adapter; the reply is whatever that
 * channel expects. Registered in its own scope so its body parsing is independent of the API's.
 */
export function channelNotifyRoutes(app: FastifyInstance, gw: Gateway): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: CHANNEL_NOTIFY_BODY_LIMIT_BYTES },
    (_request, body, done) => done(null, body),
  );
  app.post('/v1/channel-notify/:channel/:account_id', { schema: { hide: true } }, async (request, reply) => {
    const { channel, account_id } = request.params as { channel: string; account_id: string };
    const result = await handleChannelNotification(gw, channel, account_id, {
      headers: request.headers,
      raw_body: typeof request.body === 'string' ? request.body : '',
    });
    if (result.content_type) void reply.type(result.content_type);
    return reply.status(result.status).send(result.body);
  });
}
