import { topicParams, topicPutSchema } from '../../shared/consent/schema.ts';
import { declareTopic } from '../../shared/consent/topics.ts';
import { httpRoute } from '../../shared/platform/http.ts';

export const handler = httpRoute(
  { scope: 'admin', params: topicParams, body: topicPutSchema },
  async ({ params, body }) => {
    const { topic, created } = await declareTopic(params.topic, body);
    return { status: created ? 201 : 200, body: topic };
  },
);
