import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorBody } from '../domain/errors.ts';

/**
 * Turns every failure into the catalogue's shape. Fastify's own errors (body too large, bad JSON,
 * schema violations) are mapped to catalogue codes with the offending parameter named; anything
 * unexpected becomes INTERNAL_ERROR, logged in full here and never described to the caller.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError & { validation?: ValidationIssue[] };
  if (fe.validation && fe.validation.length > 0) return fromValidation(fe.validation, fe.validationContext);
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('REQUEST_BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('REQUEST_UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('REQUEST_MALFORMED');
  }
  if (fe instanceof SyntaxError) return new AppError('REQUEST_MALFORMED');
  return new AppError('INTERNAL_ERROR');
}

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

function fromValidation(issues: ValidationIssue[], context: string | undefined): AppError {
  const issue = issues[0]!;
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (issue.keyword === 'additionalProperties') {
    const field = String(issue.params.additionalProperty);
    const param = path ? `${path}.${field}` : field;
    return new AppError(
      'REQUEST_UNKNOWN_FIELD',
      `The field "${param}" is not taken by this endpoint; remove it or check its spelling.`,
      param,
    );
  }
  if (issue.keyword === 'required') {
    const field = String(issue.params.missingProperty);
    const param = path ? `${path}.${field}` : field;
    return new AppError('REQUEST_INVALID', `"${param}" is required.`, param);
  }
  if (path === 'amount') return new AppError('AMOUNT_INVALID', undefined, 'amount');
  const where = context === 'body' || context === undefined ? path : `${context}.${path}`;
  return new AppError(
    'REQUEST_INVALID',
    `"${where || context}" ${issue.message ?? 'is invalid'}.`,
    where || context,
  );
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const app_error = toAppError(error);
    if (app_error.code === 'INTERNAL_ERROR') request.log.error({ err: error }, 'unexpected error');
    else request.log.info({ code: app_error.code, param: app_error.param }, 'request refused');
    void reply.status(app_error.status).type('application/json').send(errorBody(app_error));
  });
  app.setNotFoundHandler((_request, reply) => {
    const e = new AppError('NOT_FOUND');
    void reply.status(e.status).send(errorBody(e));
  });
}
