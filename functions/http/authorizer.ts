import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { authenticate } from '../../shared/apikeys/service.ts';
import type { AuthorizerContext } from '../../shared/platform/http.ts';

/**
 * Authentication only: the key is resolved here (and cached by API Gateway); each route checks its
 * scope. Unknown keys are passed through as unauthenticated so the route can answer a 401 problem
 * document — an HTTP API authorizer that denies can only produce a bare 403.
 */
export const handler = async (
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> => {
  const result = await authenticate(event.headers?.authorization ?? event.identitySource?.[0]);
  if (!result.authenticated) {
    return { isAuthorized: true, context: { authenticated: false, reason: result.reason } };
  }
  return {
    isAuthorized: true,
    context: {
      authenticated: true,
      keyId: result.keyId,
      keyName: result.keyName,
      scopes: result.scopes.join(' '),
    },
  };
};
